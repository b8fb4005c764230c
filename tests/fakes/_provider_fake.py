"""What every provider fake shares, written once: a FakeServer, the key check, counters,
reset, and the same switches for each provider's own protocol, so that one contract suite
(tests/test_backend_contract.py) can drive them all:

- `finish_with("success" | "failed" | "blocked")`: how jobs created from now on end (each
  fake names its outcomes as its provider words them: `OUTCOMES`);
- `hold_jobs()` / `release_jobs()`: jobs never finish while held;
- `drop_create_reply()`: the next create makes its job, then the connection drops;
- `refuse_create(status, message)`: the next create is refused in the provider's error shape;
- `throttle_polls(status, retry_after, count)`: the next status calls fail, with Retry-After;
- `expire_outputs`: finished outputs answer as the provider's expired storage does.

Each fake still speaks its provider's published protocol; only the plumbing lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fakes._server import FakeServer, Request, Response

# What S3 behind a CDN answers for a signed URL past its expiry.
EXPIRED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


@dataclass
class ProviderFake:
    """A provider's API on a local server; subclasses add the routes and the job store."""

    key: str = "canary-secret-123"
    expire_outputs: bool = False
    outcome: str = ""  # how new jobs end, in the provider's words (see OUTCOMES)
    hold: bool = False  # keep every job running until released
    server: FakeServer = field(default_factory=FakeServer)

    CREATE: ClassVar[tuple[str, str]]  # method and path pattern of the create call
    POLL: ClassVar[tuple[str, str]]  # ... and of the status call
    OUTPUT: ClassVar[tuple[str, str]]  # ... and of the route that serves a finished video
    OUTCOMES: ClassVar[tuple[str, str, str]]  # success, failed, blocked: the fake's words
    ROUTES: ClassVar[tuple[tuple[str, str, str], ...]]  # (method, path pattern, handler name)
    AUTH: ClassVar[tuple[str, str]] = ("authorization", "Bearer ")  # header, value prefix
    AUTH_MESSAGE: ClassVar[str] = "Invalid API key"

    def __post_init__(self) -> None:
        if not self.outcome:
            self.outcome = self.OUTCOMES[0]
        for method, pattern, handler in self.ROUTES:
            self.server.route(method, pattern)(getattr(self, handler))

    def error(self, status: int, message: str) -> Any:
        """An error body in the provider's shape."""
        return {"detail": message}

    def denied(self, req: Request) -> Response | None:
        """401 in the provider's shape unless the request carries the key."""
        header, prefix = self.AUTH
        if req.headers.get(header) == f"{prefix}{self.key}":
            return None
        return Response(401, self.error(401, self.AUTH_MESSAGE))

    @contextmanager
    def running(self) -> Iterator[Any]:
        with self.server.running():
            yield self

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        """The base URL the provider's SDK is pointed at."""
        return self.server.url

    @property
    def creates(self) -> int:
        """Create calls that reached the provider's handler."""
        return self.server.count(self.CREATE[0], f"^{self.CREATE[1]}$")

    @property
    def requests(self) -> int:
        return len(self.server.log)

    def headers_seen(self, method: str, pattern: str) -> list[dict[str, str]]:
        """Headers of every request seen on a path (including refused ones)."""
        import re

        rx = re.compile(f"^{pattern}$")
        return [h for m, p, h in self.server.log if m == method and rx.match(p)]

    @property
    def downloads(self) -> int:
        """Requests that reached the route serving finished videos."""
        return self.server.count(self.OUTPUT[0], f"^{self.OUTPUT[1]}$")

    @property
    def jobs_made(self) -> dict[str, Any]:
        """The provider's job store (id -> job)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to an empty store with default switches (the server keeps running)."""
        self.outcome, self.hold, self.expire_outputs = self.OUTCOMES[0], False, False
        self.jobs_made.clear()
        self.clear_server()

    def clear_server(self) -> None:
        with self.server.lock:
            self.server.calls.clear()
            self.server.log.clear()
            self.server.faults.clear()

    # -- the switches ------------------------------------------------------------------------

    def finish_with(self, kind: str) -> None:
        self.outcome = self.OUTCOMES[("success", "failed", "blocked").index(kind)]

    def hold_jobs(self) -> None:
        self.hold = True

    def release_jobs(self) -> None:
        self.hold = False

    def drop_create_reply(self) -> None:
        self.server.fail(*self.CREATE, None, after=True)

    def refuse_create(self, status: int = 400, message: str = "bad request") -> None:
        self.server.fail(*self.CREATE, status, body=self.error(status, message))

    def throttle_polls(self, status: int = 429, retry_after: str = "2", count: int = 2) -> None:
        message = "Too many requests" if status == 429 else "Service unavailable"
        self.server.fail(
            *self.POLL,
            status,
            count=count,
            body=self.error(status, message),
            headers={"Retry-After": retry_after},
        )
