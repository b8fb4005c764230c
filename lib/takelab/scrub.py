"""`scrub`: the one function every text from outside passes through before it is stored,
tagged, logged or printed.

Providers echo credentials in their errors ("Incorrect API key provided: Bearer key_...");
exceptions carry request details; response bodies carry signed URLs. `scrub` removes:
- the values of every variable whose name says it holds a secret (`*KEY*`, `*TOKEN*`,
  `*SECRET*`, `*PASSWORD*`, ...: each provider key, the team's passwords) in the
  environment, every value a `.env` holds, and the password in TAKELAB_JOURNAL_URL,
  wherever they appear;
- strings shaped like keys: `Bearer ...`, `sk-...`, `key_...`, `r8_...`, `AIza...`,
  `name=value` pairs whose name says key/token/secret/password, signed-URL parameters,
  URL passwords, and long high-entropy tokens (mixed letters and digits, not plain hex,
  so take ids, checksums and job ids stay readable).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from urllib.parse import urlsplit

from takelab.envfile import dotenv_values_merged

REDACTED = "[redacted]"
MIN_KEY_LEN = 6  # shorter "keys" would blank ordinary words

# A variable whose name says it holds a secret. The names are matched rather than listed
# so that scrub needs no list of backends (it sits below them all) and a third-party
# backend's key is covered too; settings.secret_variables() all match (test_settings).
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
# Named like a secret, but a path that messages must be able to show.
NOT_SECRET = frozenset({"TAKELAB_C2PA_KEY", "SSH_AUTH_SOCK"})
JOURNAL_URL_ENV = "TAKELAB_JOURNAL_URL"

_SHAPES = [
    # "Bearer <token>", "Basic <b64>", "Key <fal key>" (as in Authorization headers)
    re.compile(r"\bBearer\s+[A-Za-z0-9._~+/:=-]{6,}", re.IGNORECASE),
    re.compile(r"\b(?:Basic|Token|Key)\s+(?=[^\s]*\d)[A-Za-z0-9._~+/:=-]{8,}", re.IGNORECASE),
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\b(?:key|r8|fal|tok)_[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{16,}"),
    # fal keys: <uuid>:<32 hex>
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{16,}\b"),
    # user:password@ in URLs
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
]
# name=value / "name": "value" where the name says it is a secret: the value goes.
_NAMED = re.compile(
    r"(?P<name>[\w.-]*(?:api[_-]?key|apikey|token|secret|password|passwd|credential"
    r"|signature|authorization|x-amz-credential)[\w.-]*|(?<=[?&])sig)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]{4,})",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9_+=-]{32,}")
_HEX = re.compile(r"[0-9a-fA-F-]+")


def _high_entropy(token: str) -> bool:
    """Long, mixed letters and digits, not plain hex (ids, sha256) nor a word-ish slug."""
    if _HEX.fullmatch(token):
        return False
    letters = sum(c.isalpha() for c in token)
    digits = sum(c.isdigit() for c in token)
    upper = sum(c.isupper() for c in token)
    lower = sum(c.islower() for c in token)
    if digits < 4 or letters < 8:
        return False
    # Slugs and paths (a-b-c) are mostly lowercase words; keys mix cases or digits densely.
    return (upper >= 3 and lower >= 3) or digits / len(token) > 0.25


def secret_values() -> list[str]:
    """The values of every secret-named variable that is set (environment or `.env`), every
    value a `.env` holds, and the journal URL's password; longest first."""
    values = [v for k, v in os.environ.items() if SECRET_NAME.search(k) and k not in NOT_SECRET]
    values += [v for k, v in dotenv_values_merged().items() if k not in NOT_SECRET]
    url = os.environ.get(JOURNAL_URL_ENV, "")
    if "://" in url:
        with contextlib.suppress(ValueError):
            values.append(urlsplit(url).password or "")
    return sorted({v for v in values if len(v) >= MIN_KEY_LEN}, key=len, reverse=True)


def scrub(text: object, *, keys: list[str] | None = None) -> str:
    """`text` (any object, as str) without key values or key-shaped strings."""
    out = text if isinstance(text, str) else str(text)
    if not out:
        return out
    for value in secret_values() if keys is None else keys:
        if value in out:
            out = out.replace(value, REDACTED)
    for shape in _SHAPES:
        out = shape.sub(REDACTED, out)
    out = _NAMED.sub(
        lambda m: (
            m.group(0)
            if m.group("value") == REDACTED
            else f"{m.group('name')}{m.group('sep')}{REDACTED}"
        ),
        out,
    )
    return _TOKEN.sub(lambda m: REDACTED if _high_entropy(m.group(0)) else m.group(0), out)


def scrub_optional(text: str | None) -> str | None:
    """`scrub` that keeps None."""
    return None if text is None else scrub(text)


class ScrubFilter(logging.Filter):
    """A logging filter that scrubs each record's message (installed on handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging's own error path
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_scrubbing(logger: logging.Logger | None = None) -> None:
    """Scrub every record that reaches the handlers of `logger` (default: the root)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())


__all__ = ["REDACTED", "ScrubFilter", "install_log_scrubbing", "scrub", "scrub_optional"]
