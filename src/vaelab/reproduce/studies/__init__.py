"""One module per study; each defines ``STUDY`` (a :class:`~vaelab.reproduce.study.Study`)."""
