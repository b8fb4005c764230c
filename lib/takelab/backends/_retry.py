"""The one retry policy of every provider backend, and how a failed call is classified.

- `with_retries`: a read-only call (poll, list, result, download) is retried on a
  transient failure (408, 409, 425, 429, 5xx, a dropped or timed-out connection) with one
  exponential backoff with jitter, waiting at least what Retry-After asks. The SDKs' own
  retries are switched off, so this is the only place a call is repeated.
- `submit_once`: a create call is never retried; its failure says whether it may have
  reached the provider (the take becomes uncertain) or certainly created nothing.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from takelab.errors import ModelRetired, OutputGoneError, SubmitError, UnusableOutputError
from takelab.scrub import scrub

T = TypeVar("T")
log = logging.getLogger(__name__)

# Statuses after which a request certainly created nothing (the provider said no).
REFUSED = {400, 401, 402, 403, 404, 405, 409, 413, 415, 422, 429}
RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}
ATTEMPTS = 6
BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a Retry-After (or retry-after-ms) header, if present."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lower:
        try:
            return max(0.0, float(lower["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an SDK or httpx error, if it carries one."""
    for attr in ("status_code", "status", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def headers_of(exc: BaseException) -> Mapping[str, str] | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


def is_connect_error(exc: BaseException) -> bool:
    """True when the request cannot have left this machine (DNS, refused connection)."""
    import httpx

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, httpx.ConnectError | ConnectionRefusedError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def transient_delay(exc: BaseException) -> float | None:
    """How long to wait before retrying a read-only call after `exc`, or None: don't."""
    import httpx

    status = status_of(exc)
    if status is not None:
        if status in RETRYABLE:
            return retry_after_seconds(headers_of(exc)) or 0.0
        return None
    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return 0.0
    name = type(exc).__name__
    if name in ("APIConnectionError", "APITimeoutError"):
        return 0.0
    return None


def with_retries(
    call: Callable[[], T],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    delay_of: Callable[[BaseException], float | None] = transient_delay,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call a read-only operation (poll, download), retrying transient failures with
    exponential backoff and jitter, waiting at least what Retry-After asks."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            hint = delay_of(exc)
            if hint is None or attempt == attempts:
                raise
            backoff = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1))
            delay = max(hint, backoff * (0.5 + random.random() / 2))
            log.info("%s failed (%s); retry %d in %.1fs", what, scrub(exc), attempt, delay)
            (sleep or time.sleep)(delay)
    raise AssertionError("unreachable")


RETIRED_WORDS = re.compile(
    r"no longer available|has been (retired|shut ?down|deprecated)|is retired|"
    r"was shut ?down|model .*not found",
    re.IGNORECASE,
)


def submit_once(backend: str, create: Callable[[], T], *, model: str = "") -> T:
    """Run a create call exactly once and classify its failure for the journal.

    The provider saying no (4xx), or a connection that never opened, created nothing:
    `SubmitError(reached_provider=False)`. Anything else (5xx, a timeout, a dropped
    connection) may have started a billed job: `reached_provider=True`, never retried.
    """
    try:
        return create()
    except Exception as exc:
        status = status_of(exc)
        message = provider_message(exc)
        if status in (404, 410) and RETIRED_WORDS.search(message):
            raise ModelRetired(backend, model or "?", message) from exc
        if status is not None and status in REFUSED:
            blocked = looks_like_moderation(message)
            raise SubmitError(
                backend,
                f"the provider refused the request (HTTP {status}): {message}",
                reached_provider=False,
                code="moderation" if blocked else f"http-{status}",
                blocked=blocked,
            ) from exc
        if status is None and is_connect_error(exc):
            raise SubmitError(
                backend, f"could not connect: {message}", reached_provider=False, code="connect"
            ) from exc
        code = f"http-{status}" if status is not None else type(exc).__name__
        raise SubmitError(
            backend,
            f"the create call failed after it may have reached the provider: {message}",
            reached_provider=True,
            code=code,
            hint="the take is marked uncertain; check the provider's dashboard before rerunning",
        ) from exc


MODERATION = re.compile(
    r"moderat|content[ _-]?polic|safety|nsfw|flagged|inappropriate|usage guidelines"
    r"|responsible ai|prohibited|public figure",
    re.IGNORECASE,
)


def looks_like_moderation(text: str | None) -> bool:
    """Whether a provider's error text reads as a moderation refusal."""
    return bool(text and MODERATION.search(text))


def provider_message(exc: BaseException) -> str:
    """A short, scrubbed message from an SDK error (providers echo keys in errors)."""
    return scrub(_raw_message(exc))[:500]


def _raw_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err.get("error")
            if msg:
                return str(msg)[:2000]
        elif isinstance(err, str):
            return err[:2000]
    return (str(exc).strip() or type(exc).__name__)[:2000]


GONE = {403, 404, 410}


def is_gone(exc: BaseException) -> bool:
    """Whether a failed download means the output expired, was deleted or cannot be used
    (not transient: fetching again would not help)."""
    return isinstance(exc, OutputGoneError | UnusableOutputError) or status_of(exc) in GONE
