"""API keys: from the environment, or from a git-ignored `.env` that only takelab reads.

Keys are looked up when a backend needs one and are never stored on objects that get
logged, pickled into notebooks or written to MLflow.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from takelab.home import repo_root

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def parse_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines; quotes stripped, `#` comments and blank lines ignored."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _LINE.match(raw)
        if not m:
            continue
        key, value = m.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        out[key] = value
    return out


@lru_cache(maxsize=8)
def _dotenv(path: Path, mtime_ns: int) -> dict[str, str]:
    return parse_dotenv(path.read_text(encoding="utf-8", errors="replace"))


def dotenv_paths() -> list[Path]:
    """Where `.env` is looked for: the current directory, then the repository root."""
    paths = [Path.cwd() / ".env", repo_root() / ".env"]
    return list(dict.fromkeys(p.resolve() for p in paths))


def get_secret(name: str) -> str | None:
    """The value of `name` from the environment, else from `.env`; None if unset or empty."""
    value = os.environ.get(name)
    if value:
        return value
    for path in dotenv_paths():
        try:
            stat = path.stat()
        except OSError:
            continue
        value = _dotenv(path, stat.st_mtime_ns).get(name)
        if value:
            return value
    return None


def looks_like_secret(value: str) -> bool:
    """A heuristic for values that must never be passed as parameters (notebooks, CLI)."""
    return bool(
        re.search(r"(sk-[A-Za-z0-9_-]{20,}|key_[A-Za-z0-9]{20,}|r8_[A-Za-z0-9]{20,})", value)
    )
