"""The `takelab` command line: a thin layer over the library.

`main.py` holds the command group and its error handling; each other module registers one
group of commands on it (imported here, so every entry point sees them all).
"""

from takelab.cli import backends, doctor, lint, media, review, sweep, takes
from takelab.cli.main import main

__all__ = ["backends", "doctor", "lint", "main", "media", "review", "sweep", "takes"]
