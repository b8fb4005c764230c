"""API keys: from the environment, or from a git-ignored `.env` that only takelab reads.

Keys are looked up when a backend needs one and are never stored on objects that get
logged, pickled into notebooks or written to MLflow. Text that comes from outside
(provider messages, exceptions, response bodies) goes through `scrub` (scrub.py) before
it is stored, tagged, logged or printed. Endpoints (base-URL overrides) come from
`endpoint`: the process environment or the user's own settings file, never a `.env`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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
        # Quoted: what the quotes hold (a comment may follow); else up to a ` #` comment.
        end = value.find(value[0], 1) if value[:1] in ("'", '"') else -1
        value = value[1:end] if end > 0 else value.split(" #", 1)[0].strip()
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


def key_variables() -> tuple[str, ...]:
    """Every environment variable a backend reads an API key from (`key_env` and
    `fallback_key_env` of each registered backend class; no provider SDK is imported)."""
    from takelab.backends._registry import available_backends, backend_class

    names: list[str] = []
    for backend in available_backends():
        try:
            cls = backend_class(backend)
        except Exception:  # a broken third-party backend is reported when it is used
            continue
        for attr in ("key_env", "fallback_key_env"):
            value = getattr(cls, attr, None)
            if isinstance(value, str) and value:
                names.append(value)
    return tuple(dict.fromkeys(names))


def known_keys() -> list[str]:
    """The values of the key variables that are set (environment or `.env`)."""
    return [v for v in (get_secret(name) for name in key_variables()) if v]


def looks_like_secret(value: str) -> bool:
    """A heuristic for values that must never be passed as parameters (notebooks, CLI)."""
    return bool(
        re.search(r"(sk-[A-Za-z0-9_-]{20,}|key_[A-Za-z0-9]{20,}|r8_[A-Za-z0-9]{20,})", value)
    )


# -- endpoints ---------------------------------------------------------------------------

SETTINGS_ENV = "TAKELAB_SETTINGS"


def settings_path() -> Path:
    """The user's own settings file (`KEY=value` lines): TAKELAB_SETTINGS, else
    `$XDG_CONFIG_HOME/takelab/settings.env` (default `~/.config/takelab/settings.env`)."""
    raw = os.environ.get(SETTINGS_ENV)
    if raw:
        return Path(raw).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "takelab" / "settings.env"


@dataclass(frozen=True)
class Endpoint:
    """A base-URL override and where it came from (for the sweep's notice)."""

    url: str
    source: str  # "the environment" or the settings file's path


def endpoint(name: str) -> Endpoint | None:
    """A base-URL override `name` from the process environment or the user's settings file.

    Never from a `.env`: a project folder sent by someone else may hold one, and an
    endpoint decides which host receives the user's key."""
    value = os.environ.get(name)
    if value:
        return Endpoint(value, "the environment")
    path = settings_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    value = _dotenv(path, stat.st_mtime_ns).get(name)
    return Endpoint(value, str(path)) if value else None


def endpoint_url(name: str) -> str | None:
    """The URL of `endpoint(name)`, or None."""
    found = endpoint(name)
    return found.url if found else None


def dotenv_endpoints(names: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Endpoint variables that a `.env` sets and that are ignored (for a warning)."""
    out: list[tuple[str, Path]] = []
    for path in dotenv_paths():
        try:
            stat = path.stat()
        except OSError:
            continue
        values = _dotenv(path, stat.st_mtime_ns)
        out += [(n, path) for n in names if values.get(n) and values[n] != endpoint_url(n)]
    return out
