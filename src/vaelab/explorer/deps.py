"""The explore extra (Starlette, uvicorn), checked before anything is loaded."""

from __future__ import annotations

import importlib

from vaelab.errors import VaelabError

EXPLORE_EXTRA_HINT = "pip install 'vaelab[explore]'"


class MissingExplore(VaelabError):
    """``vaelab explore`` was run without the packages of the explore extra."""


def require_explore() -> None:
    """Import Starlette and uvicorn, or raise :class:`MissingExplore` naming the one command that installs them."""
    for module in ("starlette", "uvicorn"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExplore(f"vaelab explore needs the package '{module}', which is not installed; "
                                 f"install the explore extra: {EXPLORE_EXTRA_HINT}") from None
