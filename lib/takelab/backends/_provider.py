"""What every provider backend shares, written once, so that a provider's own file holds only
building its request and mapping its status and errors:

- keys and SDK import errors, base-URL overrides and where the key goes;
- the capability check of a request against the model's `Capabilities` (one table per
  backend, `capability_table`), and the table price;
- the one retry policy (`retrying`, see _retry.py) and the one create call (`create_once`);
- poll intervals (TAKELAB_POLL_INTERVAL_S, when set, replaces every provider backend's
  seconds between polls, read at each wait) and the deadline;
- downloads, bounded and streamed to a temporary file through one pooled HTTP client per
  backend (see _download.py).
"""

from __future__ import annotations

import base64
import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from takelab.backends._base import Backend, Capabilities, TakeRequest
from takelab.backends._download import download, write_stream
from takelab.backends._retry import submit_once, transient_delay, with_retries
from takelab.backends.prices import price_usd
from takelab.errors import BackendError, MissingKeyError, SubmitError, UsageError
from takelab.secrets import Endpoint, endpoint, get_secret
from takelab.settings import settings

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")
log = logging.getLogger(__name__)
_CLIENTS_LOCK = threading.Lock()

POLL_INTERVAL_ENV = "TAKELAB_POLL_INTERVAL_S"
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


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


@dataclass(frozen=True)
class Connection:
    """How a backend reaches its provider: the key's environment variable, the variable that
    overrides the base URL and the URL it replaces, and the official SDK (import and pip
    names)."""

    key_env: str
    base_url_env: str | None
    default_url: str
    sdk: str
    package: str = ""


class ProviderBackend(Backend):
    """A backend that talks to a paid provider through its official SDK.

    `poll_interval_s` is overridden for every provider backend by TAKELAB_POLL_INTERVAL_S
    when that is set; assigning the class attribute (as tests do) still wins over it."""

    connection: ClassVar[Connection | None] = None  # sets the five attributes below
    key_env: ClassVar[str]  # the provider's usual environment variable
    fallback_key_env: ClassVar[str | None] = None  # read when key_env is unset
    # The variable that overrides the provider's base URL, and the URL it replaces. Read
    # through `secrets.endpoint`: the environment or the user's settings, never a `.env`.
    base_url_env: ClassVar[str | None] = None
    default_url: ClassVar[str] = ""
    sdk_module: ClassVar[str]  # import name of the official SDK
    sdk_package: ClassVar[str]  # pip name of the official SDK
    # model -> what it accepts; the backend's `models` are its keys.
    capability_table: ClassVar[Mapping[str, Capabilities]] = {}
    poll_interval_s: ClassVar[float] = _PollInterval(5.0)  # type: ignore[assignment]
    deadline_s: ClassVar[float] = 1800.0
    timeout_s: ClassVar[float] = 60.0  # per HTTP call

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        link = cls.__dict__.get("connection")
        if isinstance(link, Connection):
            cls.key_env, cls.base_url_env, cls.default_url = (
                link.key_env,
                link.base_url_env,
                link.default_url,
            )
            cls.sdk_module, cls.sdk_package = link.sdk, link.package or link.sdk
        own = cls.__dict__.get("poll_interval_s")
        if isinstance(own, int | float):  # a subclass's own value, overridable the same way
            cls.poll_interval_s = _PollInterval(float(own))  # type: ignore[assignment]
        if "capability_table" in cls.__dict__ and "models" not in cls.__dict__:
            cls.models = tuple(cls.capability_table)

    # -- keys, SDK, clients ----------------------------------------------------------------

    def key(self) -> str:
        """The API key, from the environment or `.env`; never stored on the instance. The
        error names `key_env` (the variable the provider documents)."""
        for env in (self.key_env, self.fallback_key_env):
            value = get_secret(env) if env else None
            if value:
                return value
        raise MissingKeyError(self.name, self.key_env)

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
        """The client `make` builds, made once per backend instance (a sweep holds one per
        backend and model): its connections are pooled and its SSL context built once,
        instead of once per create, poll and download. The key read by `make` lives only
        inside that client, which is never pickled (a Ray worker builds its own)."""
        with _CLIENTS_LOCK:
            clients: dict[str, Any] = self.__dict__.setdefault("_clients", {})
            if name not in clients:
                clients[name] = make()
            client: T = clients[name]
            return client

    def sdk_client(self, cls: Callable[..., T], key_arg: str = "api_key") -> T:
        """The SDK's client class `cls` (Stainless-style: key, base URL, timeout, retries)
        built once per instance, without retries of its own: a create is never repeated
        blindly, and reads retry under `retrying`. The key lives only in the client."""
        return self.shared_client(
            lambda: cls(
                **{key_arg: self.key()},
                base_url=self.api_url(),
                timeout=self.timeout_s,
                max_retries=0,
            )
        )

    def http(self) -> httpx.Client:
        """The pooled HTTP client this backend downloads with (no key: output URLs are
        signed or public, and redirects are followed by hand, each one checked)."""
        import httpx

        return self.shared_client(
            lambda: httpx.Client(timeout=self.timeout_s * 2, follow_redirects=False), "http"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_clients", None)
        return state

    # -- where requests go -----------------------------------------------------------------

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

    # -- what a model accepts, and its price -------------------------------------------------

    def capabilities_of(self, model: str) -> Capabilities:
        """The model's capabilities; UsageError naming the models for one not listed."""
        caps = self.capability_table.get(model)
        if caps is None:
            raise UsageError(
                f"{self.name} has no model {model!r}",
                hint=f"choose one of: {', '.join(self.capability_table)}",
            )
        return caps

    def capabilities(self) -> Capabilities:
        return self.capabilities_of(self.model)

    def request_problems(self, request: TakeRequest, caps: Capabilities) -> list[str]:
        """Why the model cannot take this request (a backend adds its own rules)."""
        return caps.problems(request)

    def request_hint(self, request: TakeRequest) -> str | None:
        """A hint for a refused request, where the provider has one."""
        return None

    def check_request(self, request: TakeRequest) -> Capabilities:
        """The model's capabilities, or UsageError naming every setting it cannot take
        (with the allowed values) before anything is sent or priced."""
        caps = self.capabilities_of(request.model)
        problems = self.request_problems(request, caps)
        if problems:
            raise UsageError(
                f"{self.name}:{request.model}: " + "; ".join(problems),
                hint=self.request_hint(request),
            )
        return caps

    def price(self, request: TakeRequest) -> float:
        # Sound is priced where the provider charges for it; asking for the backend's
        # default (None) counts as sound on a model that makes it: the worst case.
        caps = self.check_request(request)
        audio = request.audio is not False and caps.audio
        return price_usd(
            self.name, request.model, request.duration_s, request.resolution, audio=audio
        )

    @classmethod
    def retired(cls, model: str) -> str | None:
        from takelab.backends.models import Status, model_info

        info = model_info(cls.name, model)
        return info.shutdown if info and info.status is Status.RETIRED else None

    # -- calls: one create, retried reads, downloads -----------------------------------------

    def create_once(self, create: Callable[[], T], model: str) -> T:
        """Send a create call exactly once, its failure classified (see `submit_once`)."""
        return submit_once(self.name, create, model=model)

    def returned_id(self, job_id: str | None, what: str) -> str:
        """The job id a create call returned; SubmitError when there is none (the call
        reached the provider and may have started a job: the take becomes uncertain)."""
        if not job_id:
            raise SubmitError(
                self.name,
                f"the create call returned no {what}",
                reached_provider=True,
                code="no-job-id",
            )
        return job_id

    def not_sent(self, exc: Exception) -> SubmitError:
        """A request that failed before it was sent (an unreadable image, a bad setting)."""
        return SubmitError(self.name, str(exc), reached_provider=False, code="invalid-request")

    def retrying(
        self,
        call: Callable[[], T],
        what: str,
        delay_of: Callable[[BaseException], float | None] = transient_delay,
    ) -> T:
        """A read-only call (poll, list, result, download) under the one retry policy."""
        return with_retries(call, what=f"{self.name} {what}", delay_of=delay_of, sleep=self._sleep)

    def download(self, url: str, dest: Path) -> Path:
        """Fetch an output URL into `dest` at once (provider URLs expire), without the key."""
        return download(
            url,
            dest,
            client=self.http(),
            sleep=self._sleep,
            origin=self.api_url(),
            backend=self.name,
        )

    def write_stream(self, chunks: Iterable[bytes], dest: Path) -> Path:
        """Write a video streamed by the SDK into `dest`, under the size cap."""
        return write_stream(chunks, dest, backend=self.name)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def image_data_uri(path: Path, backend: str, *, limit: int | None = None) -> str:
    """An image file as a base64 data URI (PNG, JPEG or WebP), as providers take inline."""
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise UsageError(
            f"{backend} takes PNG, JPEG or WebP images, not {path.name}",
            hint="convert the image to .png or .jpg",
        )
    uri = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    if limit is not None and len(uri) > limit:
        raise UsageError(
            f"{path.name} is too large to send ({len(uri) / 1e6:.1f} MB encoded,"
            f" limit {limit / 1024 / 1024:g} MB)",
            hint=f"use a smaller image (under about {limit * 3 / 4 / 1024 / 1024:.1f} MB)",
        )
    return uri


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
