"""The one exception a drawing function raises when its figure does not apply."""

from __future__ import annotations


class FigureNotApplicable(Exception):
    """This figure cannot be drawn from these inputs; the message is the reason, in a few words.

    Raised for data the figure does not apply to (token data for image figures, a
    deterministic encoder for bubbles) and for inputs that lack an array the figure
    needs. :func:`vaelab.plots.draw` reports it as ``(kind, reason)`` instead of failing.
    """


TOKENS_REASON = "token data: see the molecule figures (molecule-map, molecule-traversals, molecule-interpolations)"
