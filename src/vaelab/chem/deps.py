"""The chem extra's packages, imported only when a molecule feature is used.

vaelab itself imports without RDKit or SELFIES; a function that needs one calls
:func:`rdkit_chem` or :func:`selfies_module` and gets a clear error when it is missing.
"""

from __future__ import annotations

import importlib
import importlib.util

from vaelab.errors import VaelabError

CHEM_EXTRA_HINT = "install the chem extra: pip install 'vaelab[chem]'"


class MissingExtra(VaelabError):
    """A molecule feature was used without the packages of the chem extra."""


def require(module: str, package: str):
    """Import ``module`` (from the PyPI package ``package``), or raise :class:`MissingExtra`."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtra(f"molecule support needs the package '{package}' ({err}); {CHEM_EXTRA_HINT}") from None


def rdkit_chem():
    """``rdkit.Chem``; parse inside :func:`quiet_rdkit` to keep RDKit's own messages off stderr."""
    return require("rdkit.Chem", "rdkit")


def quiet_rdkit():
    """A context in which RDKit logs nothing; the previous log settings come back on exit.

    RDKit prints one line per unparsable SMILES; vaelab reports invalid input itself
    (see :mod:`vaelab.chem.smiles`), so the messages would only repeat it, thousands of times.
    """
    return require("rdkit.rdBase", "rdkit").BlockLogs()


def selfies_module():
    """The ``selfies`` package (Krenn et al. 2020)."""
    return require("selfies", "selfies")


def chem_available() -> bool:
    """True when RDKit and SELFIES are installed; imports neither."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("rdkit", "selfies"))
    except (ImportError, ValueError):  # ValueError: a module entry blocked with sys.modules[m] = None
        return False
