"""vaelab: train variational and regularized autoencoders; diagnose, visualise, steer and use their latent spaces."""

from vaelab.api import evaluate, lso, plot, sample, train, write_report  # noqa: E402
from vaelab.config import RunConfig, load_config, make_config  # noqa: E402
from vaelab.errors import VaelabError  # noqa: E402
from vaelab.rundir import Run, load_run  # noqa: E402
from vaelab.version import __version__  # noqa: E402

__all__ = ["Run", "RunConfig", "VaelabError", "__version__", "evaluate", "load_config", "load_run",
           "lso", "make_config", "plot", "sample", "train", "write_report"]
