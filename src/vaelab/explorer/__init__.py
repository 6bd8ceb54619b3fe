"""``vaelab explore``: a local web page to look around a run's latent space (docs/explore.md).

A map of the split's codes (PCA or t-SNE), click to decode, one slider per latent
dimension, paths, samples, two runs side by side, exports. Served on 127.0.0.1 by
Starlette and uvicorn (the ``explore`` extra); the page is plain HTML, CSS and JS in
``static/``, loads nothing from the network and the run directories are only read.
"""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use
_NAMES = {"ExploreSession": "state", "load_session": "state", "create_app": "server", "serve": "serving",
          "require_explore": "deps", "MissingExplore": "deps"}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
