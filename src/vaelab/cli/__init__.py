"""The `vaelab` command line: thin commands over the Python API."""
