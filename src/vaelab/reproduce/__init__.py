"""``vaelab reproduce``: the five texts' findings (and Burda et al.'s) as runnable studies.

A study (:class:`~vaelab.reproduce.study.Study`) is a sweep of the paper's rows at a budget,
their evaluation and figures, and a record whose table puts measured and published numbers
side by side and whose claims are decided by computed tests (docs/RESULTS.md).
"""

from vaelab.reproduce.registry import MODULES, all_studies, get_study

__all__ = ["MODULES", "all_studies", "get_study"]
