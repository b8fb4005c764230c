"""The git-ignored `.env` files: where they are looked for and what they hold.

A `.env` holds provider keys only takelab reads (never the notebook server, never git).
It is looked for in the current directory, then at the repository root; the first one
that sets a variable wins. This module sits on the ground floor (stdlib and python-dotenv
only) because `scrub` needs the values it holds before any other takelab module exists.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from dotenv import dotenv_values


def repo_root() -> Path:
    """The repository root when running from a checkout, else the current directory."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "lib" / "takelab").is_dir():
            return parent
    return Path.cwd()


def dotenv_paths() -> list[Path]:
    """Where `.env` is looked for: the current directory, then the repository root."""
    paths = [Path.cwd() / ".env", repo_root() / ".env"]
    return list(dict.fromkeys(p.resolve() for p in paths))


def parse_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines (python-dotenv's syntax: `export`, quotes and `#` comments);
    variables without a value are left out."""
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {k: v for k, v in values.items() if v is not None}


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int) -> dict[str, str]:
    # Keyed by the file's mtime: an edited .env is read again, an unchanged one is not.
    return parse_dotenv(path.read_text(encoding="utf-8", errors="replace"))


def file_values(path: Path) -> dict[str, str]:
    """The variables a `KEY=value` file sets; {} when it does not exist or cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    try:
        return _read(path, stat.st_mtime_ns)
    except OSError:
        return {}


def stamp(path: Path) -> tuple[str, int]:
    """What changes when a file appears, goes or is edited (for caches keyed on it)."""
    try:
        return (str(path), path.stat().st_mtime_ns)
    except OSError:
        return (str(path), -1)


def dotenv_values_merged() -> dict[str, str]:
    """Every variable the `.env` files set, the current directory's first."""
    merged: dict[str, str] = {}
    for path in reversed(dotenv_paths()):
        merged.update(file_values(path))
    return merged


__all__ = ["dotenv_paths", "dotenv_values_merged", "file_values", "parse_dotenv", "repo_root"]
