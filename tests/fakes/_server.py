"""A small threaded HTTP server on loopback for provider fakes.

Each fake registers routes (method, path regex) that return (status, json-or-bytes,
headers). The server counts requests per route, can inject faults (a status with
Retry-After, a dropped connection) for the next N matching requests, and serves a real
MP4 rendered by previz for the finished jobs.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Handler = Callable[["Request"], "Response"]


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    match: re.Match[str]

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes -> as is, an iterator of bytes -> streamed
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    pattern: str
    status: int | None  # None: drop the connection without answering
    count: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False  # apply the route first (the job is created), then fail the reply


class FakeServer:
    """Routes, counters and fault injection over ThreadingHTTPServer."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.calls: Counter[str] = Counter()
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.append((method, re.compile(f"^{pattern}$"), fn))
            return fn

        return deco

    def fail(
        self,
        method: str,
        pattern: str,
        status: int | None,
        *,
        count: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        after: bool = False,
    ) -> None:
        """The next `count` requests matching method and path get this fault."""
        with self.lock:
            self.faults.append(Fault(method, pattern, status, count, body, headers or {}, after))

    def _fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.method == method and re.match(f"^{f.pattern}$", path) and f.count > 0:
                    f.count -= 1
                    return f
        return None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @contextmanager
    def running(self) -> Iterator[FakeServer]:
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.log.append((self.command, path, headers))
                fault = server._fault(self.command, path)
                if fault is not None and not fault.after:
                    self._fault_reply(fault)
                    return
                for method, pattern, fn in server.routes:
                    m = pattern.match(path)
                    if method == self.command and m:
                        with server.lock:
                            server.calls[f"{method} {pattern.pattern}"] += 1
                        resp = fn(Request(self.command, path, query, headers, body, m))
                        if fault is not None:
                            self._fault_reply(fault)
                            return
                        self._reply(resp)
                        return
                self._reply(Response(404, {"error": {"message": f"no route {path}"}}))

            def _fault_reply(self, fault: Fault) -> None:
                if fault.status is None:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._reply(
                    Response(
                        fault.status, fault.body or {"error": {"message": "fault"}}, fault.headers
                    )
                )

            def _reply(self, resp: Response) -> None:
                if isinstance(resp.body, Iterator):
                    self._stream(resp)
                    return
                if isinstance(resp.body, bytes | bytearray):
                    data, ctype = bytes(resp.body), "application/octet-stream"
                else:
                    data, ctype = json.dumps(resp.body).encode(), "application/json"
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.headers.pop("Content-Type", ctype))
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, resp: Response) -> None:
                """A body from an iterator (chunked, unless the response names its own
                Content-Length), until it ends or the client hangs up."""
                chunked = "Content-Length" not in resp.headers
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.headers.pop("Content-Type", "video/mp4"))
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in resp.body:
                        data = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
                        self.wfile.write(data)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client stopped reading: what a size cap does
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()

    def count(self, method: str, pattern: str) -> int:
        return self.calls[f"{method} {pattern}"]

    def saw_header_value(self, value: str) -> bool:
        return any(value in v for _, _, h in self.log for v in h.values())


_VIDEO: dict[tuple[int, int], bytes] = {}


def sample_mp4(duration_s: float = 1.0, resolution: str = "480p") -> bytes:
    """A real, decodable H.264 MP4 (previz) for fakes to serve; cached per process."""
    key = (int(duration_s * 1000), int(resolution.rstrip("pk") or 0))
    if key not in _VIDEO:
        import tempfile

        from takelab.backends import TakeRequest
        from takelab.backends.previz import render

        req = TakeRequest(
            project="fake",
            shot="s",
            variant="v",
            prompt="a fake provider's clip, slow pan",
            backend="previz",
            model="animatic",
            duration_s=duration_s,
            aspect="16:9",
            resolution=resolution,
            seed=1,
        )
        with tempfile.TemporaryDirectory() as tmp:
            out = render(req, Path(tmp) / "v.mp4")
            _VIDEO[key] = out.read_bytes()
    return _VIDEO[key]
