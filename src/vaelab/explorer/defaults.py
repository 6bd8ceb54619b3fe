"""The defaults of ``vaelab explore`` that the command line shows; imports nothing (``vaelab --help`` stays light)."""

MAX_POINTS = 1500  # examples shown on a map (t-SNE of two runs stays under its 3,000 codes)
SPLIT = "test"
