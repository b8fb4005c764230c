"""API keys and endpoints: keys from the environment or a git-ignored `.env` that only
takelab reads; endpoints from the environment or the user's own settings file.

Keys are looked up when a backend needs one and are never stored on objects that get
logged, pickled into notebooks or written to MLflow. Text that comes from outside
(provider messages, exceptions, response bodies) goes through `scrub` (scrub.py) before
it is stored, tagged, logged or printed. The built-in providers' keys are settings
(settings.py, where they are documented); a third-party backend's key variable is read
here the same way.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from takelab import envfile
from takelab.scrub import secret_values
from takelab.settings import SETTINGS_ENV, settings, user_settings_path, variables


def get_secret(name: str) -> str | None:
    """The value of `name` from the environment, else from `.env`; None if unset or empty."""
    if name in variables():
        value = settings().value_of(name)
        return str(value) if value else None
    # A variable that is not a setting (a third-party backend's key, a cloud project).
    value = os.environ.get(name)
    if value:
        return value
    for path in envfile.dotenv_paths():
        value = envfile.file_values(path).get(name)
        if value:
            return value
    return None


def known_keys() -> list[str]:
    """The values of every secret that is set (provider keys, passwords, tokens, `.env`)."""
    return secret_values()


def looks_like_secret(value: str) -> bool:
    """A heuristic for values that must never be passed as parameters (notebooks, CLI)."""
    return bool(
        re.search(r"(sk-[A-Za-z0-9_-]{20,}|key_[A-Za-z0-9]{20,}|r8_[A-Za-z0-9]{20,})", value)
    )


# -- endpoints ---------------------------------------------------------------------------


def settings_path() -> Path:
    """The user's own settings file (see `settings.user_settings_path`)."""
    return user_settings_path()


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
    value = envfile.file_values(path).get(name)
    return Endpoint(value, str(path)) if value else None


def endpoint_url(name: str) -> str | None:
    """The URL of `endpoint(name)`, or None."""
    found = endpoint(name)
    return found.url if found else None


def dotenv_endpoints(names: tuple[str, ...]) -> list[tuple[str, Path]]:
    """Endpoint variables that a `.env` sets and that are ignored (for a warning)."""
    out: list[tuple[str, Path]] = []
    for path in envfile.dotenv_paths():
        values = envfile.file_values(path)
        out += [(n, path) for n in names if values.get(n) and values[n] != endpoint_url(n)]
    return out


__all__ = [
    "SETTINGS_ENV",
    "Endpoint",
    "dotenv_endpoints",
    "endpoint",
    "endpoint_url",
    "get_secret",
    "known_keys",
    "looks_like_secret",
    "settings_path",
]
