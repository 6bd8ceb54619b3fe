"""vaelab: train variational and regularized autoencoders; diagnose, visualise, steer and use their latent spaces.

The API's names load on first use, so ``import vaelab`` (and ``vaelab --help``) stays
light until a function is called: ``vaelab.train(...)``, ``vaelab.load_run(...)``.
"""

from vaelab.lazy import lazy_exports
from vaelab.version import __version__

#: public name -> the submodule that defines it, imported on first use
_NAMES = {"evaluate": "api", "explore": "api", "lso": "api", "plot": "api", "sample": "api", "sweep": "api", "train": "api", "train_ensemble": "api", "write_report": "api",
          "RunConfig": "config", "load_config": "config", "make_config": "config", "VaelabError": "errors",
          "Run": "rundir", "load_run": "rundir"}

__all__ = sorted([*_NAMES, "__version__"])
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
