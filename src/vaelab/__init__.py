"""vaelab: train variational and regularized autoencoders; diagnose, visualise, steer and use their latent spaces."""

__version__ = "0.1.0"

from vaelab.api import evaluate, plot, sample, train, write_report  # noqa: E402
from vaelab import lso  # noqa: E402  (the package, callable as vaelab.api.lso: see vaelab/lso/__init__.py)
from vaelab.config import RunConfig, load_config, make_config  # noqa: E402
from vaelab.errors import VaelabError  # noqa: E402
from vaelab.runs import Run, load_run  # noqa: E402

__all__ = ["Run", "RunConfig", "VaelabError", "__version__", "evaluate", "load_config", "load_run",
           "lso", "make_config", "plot", "sample", "train", "write_report"]
