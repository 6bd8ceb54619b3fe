"""Sweeps: many runs from one file (``vaelab sweep SWEEP.yaml``).

:mod:`vaelab.sweeps.spec` reads a sweep file and expands it into trials, each a fully
validated config with a deterministic name, before anything runs.
"""
