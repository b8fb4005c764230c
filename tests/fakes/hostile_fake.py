"""A Runway fake that misbehaves on purpose (issue 19): it speaks Runway's protocol as
runway_fake.py does, and with switches it lies in every way a provider could.

- `echo`: repeat the caller's credential in its errors: "create-401" (a refused create,
  "Incorrect API key provided: Bearer <key>"), "create-500" (a create that may have
  started a job), "task" (a failed task whose failure text holds the key).
- `credits`: the `cost.credits` a finished task reports, whatever the price: negative
  (-30000 = $-300.00), inflated (100 = $1.00 for a take reserved at $0.48), absurd.
- `output`: what a finished task's output URL gives: "mp4" (a real video), "endless" (a
  body that never ends), "huge" (a Content-Length of 1.5 GB), "redirect" (a 302 to
  `redirect_to`, another local service), "loop" (redirects to itself forever),
  "file" (the output URL is file:///etc/passwd), "http-public" (plain http to a public
  address).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fakes._server import FakeServer, Request, Response
from fakes.runway_fake import OUTPUT, TEXT_TO_VIDEO, RunwayFake


@dataclass
class Bystander:
    """Another local service that must never be reached (it counts every request)."""

    server: FakeServer = field(default_factory=FakeServer)

    def __post_init__(self) -> None:
        self.server.route("GET", r"/.*")(lambda r: Response(200, b"internal secret"))

    @contextmanager
    def running(self) -> Iterator[Bystander]:
        with self.server.running():
            yield self

    @property
    def hits(self) -> int:
        return len(self.server.log)

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class HostileRunway(RunwayFake):
    echo: str | None = None
    credits: int | None = None
    output: str = "mp4"
    redirect_to: str = ""
    served_bytes: int = 0
    before_create: Callable[[], None] | None = None  # e.g. fill the disk as the job starts

    def __post_init__(self) -> None:
        # Hostile routes first: FakeServer answers with the first route that matches.
        self.server.route("POST", TEXT_TO_VIDEO)(self._hostile_create)
        self.server.route("GET", OUTPUT)(self._hostile_output)
        super().__post_init__()

    def _echo(self, req: Request) -> str:
        return f"Incorrect API key provided: {req.headers.get('authorization', '')}"

    def _hostile_create(self, req: Request) -> Response:
        if self.echo == "create-401":
            return Response(401, {"error": self._echo(req)})
        if self.echo == "create-500":
            return Response(500, {"error": f"upstream failed for {self._echo(req)}"})
        from fakes.runway_fake import TEXT_MODELS

        if self.before_create is not None:
            self.before_create()
        return self._create(req, TEXT_MODELS)

    def _get(self, req: Request) -> Response:
        resp = super()._get(req)
        body = resp.body if isinstance(resp.body, dict) else {}
        if body.get("status") == "SUCCEEDED":
            if self.credits is not None:
                body["cost"] = {"credits": self.credits}
            if self.output == "file":
                body["output"] = ["file:///etc/passwd"]
            elif self.output == "http-public":
                body["output"] = ["http://93.184.216.34/out.mp4"]
        if body.get("status") == "FAILED" and self.echo == "task":
            body["failure"] = f"The task failed: {self._echo(req)}"
            body["failureCode"] = "INTERNAL.AUTH"
        return resp

    def _hostile_output(self, req: Request) -> Response:
        if self.output == "endless":
            return Response(200, self._endless(), {"Content-Type": "video/mp4"})
        if self.output == "huge":  # says 1.5 GB up front, then streams for as long as read
            headers = {"Content-Type": "video/mp4", "Content-Length": str(1_500_000_000)}
            return Response(200, self._endless(), headers)
        if self.output == "redirect":
            return Response(302, b"", {"Location": f"{self.redirect_to}/admin?steal=1"})
        if self.output == "loop":
            return Response(302, b"", {"Location": f"{self.url}{req.path}?{req.query}"})
        return self._output(req)

    def _endless(self) -> Iterator[bytes]:
        chunk = b"\0" * 65536
        for _ in itertools.count():
            self.served_bytes += len(chunk)
            yield chunk


def failing_body(message: str) -> dict[str, Any]:
    """An error body every provider SDK reads a message from (for fault injection)."""
    return {
        "error": {"message": message, "code": 401, "status": "UNAUTHENTICATED"},
        "detail": message,
        "title": message,
    }
