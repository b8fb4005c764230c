"""The `takelab` command line: a thin layer over the library."""

from takelab.cli.main import main

__all__ = ["main"]
