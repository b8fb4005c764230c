"""What every provider backend shares, written once: keys, SDK import errors, prices,
retries that honour Retry-After, classifying a failed create call, and downloads that
stream to a temporary file before moving into place.

TAKELAB_POLL_INTERVAL_S, when set, replaces every provider backend's seconds between polls
(read at each wait), e.g. to poll a local fake or gateway quickly from the command line.
"""

from __future__ import annotations

import email.utils
import importlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from takelab.backends._base import Backend, TakeRequest
from takelab.backends.prices import price_usd
from takelab.errors import (
    BackendError,
    MissingKeyError,
    ModelRetired,
    OutputGoneError,
    SubmitError,
    UnusableOutputError,
)
from takelab.scrub import scrub
from takelab.secrets import Endpoint, endpoint, get_secret
from takelab.settings import settings

T = TypeVar("T")
log = logging.getLogger(__name__)
_CLIENTS_LOCK = threading.Lock()

# Statuses after which a request certainly created nothing (the provider said no).
REFUSED = {400, 401, 402, 403, 404, 405, 409, 413, 415, 422, 429}
RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}


POLL_INTERVAL_ENV = "TAKELAB_POLL_INTERVAL_S"


def poll_interval_override() -> float | None:
    """Seconds between polls from TAKELAB_POLL_INTERVAL_S, or None when unset or invalid."""
    return settings().poll_interval_s


class _PollInterval:
    """A backend's `poll_interval_s`: its class value, unless TAKELAB_POLL_INTERVAL_S is
    set, read each time the runner waits between polls (e.g. fast polls against a local
    fake or gateway from the command line)."""

    def __init__(self, default: float) -> None:
        self.default = default

    def __get__(self, obj: object, owner: type | None = None) -> float:
        override = poll_interval_override()
        return self.default if override is None else override


class ProviderBackend(Backend):
    """A backend that talks to a paid provider through its official SDK.

    `poll_interval_s` is overridden for every provider backend by TAKELAB_POLL_INTERVAL_S
    when that is set; assigning the class attribute (as tests do) still wins over it."""

    key_env: ClassVar[str]  # the provider's usual environment variable
    # The variable that overrides the provider's base URL, and the URL it replaces. Read
    # through `secrets.endpoint`: the environment or the user's settings, never a `.env`.
    base_url_env: ClassVar[str | None] = None
    default_url: ClassVar[str] = ""
    sdk_module: ClassVar[str]  # import name of the official SDK
    sdk_package: ClassVar[str]  # pip name of the official SDK
    poll_interval_s: ClassVar[float] = _PollInterval(5.0)  # type: ignore[assignment]
    deadline_s: ClassVar[float] = 1800.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("poll_interval_s")
        if isinstance(own, int | float):  # a subclass's own value, overridable the same way
            cls.poll_interval_s = _PollInterval(float(own))  # type: ignore[assignment]

    def key(self) -> str:
        """The API key, from the environment or `.env`; never stored on the instance."""
        value = get_secret(self.key_env)
        if not value:
            raise MissingKeyError(self.name, self.key_env)
        return value

    def sdk(self) -> ModuleType:
        """The SDK module, with a clear install hint when it is missing."""
        try:
            return importlib.import_module(self.sdk_module)
        except ImportError as exc:
            raise BackendError(
                self.name,
                f"the {self.sdk_package} package is not installed ({exc})",
                hint=f"pip install {self.sdk_package}  (or: pip install 'takelab[providers]')",
            ) from exc

    def check_ready(self) -> None:
        self.sdk()
        self.key()

    def shared_client(self, make: Callable[[], T], name: str = "sdk") -> T:
        """The SDK client `make` builds, made once per backend instance (a sweep holds one
        per backend and model): its connections are pooled and its SSL context built once,
        instead of once per create, poll and download. The key read by `make` lives only
        inside that client, which is never pickled (a Ray worker builds its own)."""
        with _CLIENTS_LOCK:
            clients: dict[str, Any] = self.__dict__.setdefault("_clients", {})
            if name not in clients:
                clients[name] = make()
            client: T = clients[name]
            return client

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_clients", None)
        return state

    def base_url_override(self) -> Endpoint | None:
        """The base-URL override in effect, with where it came from; None: the default."""
        return endpoint(self.base_url_env) if self.base_url_env else None

    def api_url(self) -> str:
        """Where this backend's requests (and its key) go."""
        found = self.base_url_override()
        return found.url if found else self.default_url

    def endpoint_notice(self) -> str | None:
        """One sentence when the key goes to a host other than the provider's own."""
        found = self.base_url_override()
        if found is None:
            return None
        host = urlsplit(found.url).netloc or found.url
        default = urlsplit(self.default_url).netloc
        if host.lower() == default.lower():
            return None
        return (
            f"{self.name}: the key in {self.key_env} is sent to {host}, not to the provider's"
            f" own host {default or '(none)'} ({self.base_url_env} from {found.source})"
        )

    def price(self, request: TakeRequest) -> float:
        # Sound is priced where the provider charges for it; asking for the backend's
        # default (None) counts as sound on a model that makes it: the worst case.
        audio = request.audio is not False and self.capabilities().audio
        return price_usd(
            self.name, request.model, request.duration_s, request.resolution, audio=audio
        )

    @classmethod
    def retired(cls, model: str) -> str | None:
        from takelab.backends.models import Status, model_info

        info = model_info(cls.name, model)
        return info.shutdown if info and info.status is Status.RETIRED else None


def endpoint_notices(backends: Sequence[Any]) -> list[str]:
    """Once per backend: where its key goes when that is not the provider's own host, and
    base-URL settings found in a `.env` (ignored: a project folder's `.env` must not
    choose where a key is sent)."""
    from takelab.secrets import dotenv_endpoints

    notices: list[str] = []
    names: list[str] = []
    # A Ray sweep's backends are proxies holding the real backend as `inner`.
    real = [getattr(b, "inner", b) for b in backends]
    for backend in {b.name: b for b in real}.values():
        if isinstance(backend, ProviderBackend) and backend.base_url_env:
            names.append(backend.base_url_env)
            notice = backend.endpoint_notice()
            if notice:
                notices.append(notice)
    for name, path in dotenv_endpoints(tuple(names)):
        notices.append(
            f"{name} in {path} is ignored: base URLs come only from the environment or"
            " your settings file (TAKELAB_SETTINGS)"
        )
    return notices


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
    attempts: int = 6,
    base_delay_s: float = 0.5,
    max_delay_s: float = 30.0,
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
            backoff = min(max_delay_s, base_delay_s * 2 ** (attempt - 1))
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


# Downloads live in _download.py; re-exported here, where the backends import them from.
from takelab.backends._download import download as download  # noqa: E402
from takelab.backends._download import write_stream as write_stream  # noqa: E402
