"""A fake of Luma's Dream Machine API, speaking what the `lumaai` 1.21 SDK sends.

- POST /dream-machine/v1/generations/video {model, prompt, aspect_ratio, duration,
  resolution, ...} -> 201 and the generation (state "queued");
- GET /dream-machine/v1/generations/{id} -> the generation, one state further per poll:
  queued, dreaming, then completed (`assets.video`) or failed (`failure_reason`);
- GET /dream-machine/v1/generations?limit&offset -> {generations (newest first), count,
  has_more, limit, offset};
- GET /cdn/{id}.mp4 -> the video (a CDN URL: no key needed, as on Luma's CDN).

The key is checked as `Authorization: Bearer`; errors are `{"detail": "..."}` (the SDK
does not define Luma's error body; this is the FastAPI shape its API answers with).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fakes._server import FakeServer, Request, Response, sample_mp4

BASE = "/dream-machine/v1"
CREATE = BASE + "/generations/video"
GET = BASE + r"/generations/(?P<id>[0-9a-f-]{36})"
LIST = BASE + "/generations"
VIDEO = r"/cdn/(?P<id>[0-9a-f-]{36})\.mp4"
MODERATION_REASON = "400: prompt not allowed because advanced moderation failed"
FAILED_REASON = "Job failed: internal error"
# What S3 behind a CDN answers for a signed URL past its expiry.
EXPIRED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


@dataclass
class LumaFake:
    """Generations move one state per poll: `steps` polls queued/dreaming, then the outcome.
    `expire_outputs` (True): video URLs answer 403, as a signed CDN URL past its expiry does."""

    key: str = "canary-secret-123"
    steps: int = 2
    outcome: str = "succeed"  # succeed, blocked, fail, hang
    expire_outputs: bool = False
    server: FakeServer = field(default_factory=FakeServer)
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.polls: dict[str, int] = {}
        self.outcomes: dict[str, str] = {}
        self.server.route("POST", CREATE)(self._create)
        self.server.route("GET", GET)(self._get)
        self.server.route("GET", LIST)(self._list)
        self.server.route("GET", VIDEO)(self._video)

    @contextmanager
    def running(self) -> Iterator[LumaFake]:
        with self.server.running():
            yield self

    @property
    def base_url(self) -> str:
        return self.server.url + BASE

    @property
    def creates(self) -> int:
        return self.server.count("POST", f"^{CREATE}$")

    @property
    def requests(self) -> int:
        return len(self.server.log)

    def release(self, outcome: str = "succeed") -> None:
        with self.lock:
            self.outcome = outcome
            for gid, o in self.outcomes.items():
                if o == "hang":
                    self.outcomes[gid] = outcome

    def drop_create_reply(self) -> None:
        self.server.fail("POST", CREATE, None, after=True)

    def refuse_create(self, status: int = 400, detail: str = "bad request") -> None:
        self.server.fail("POST", CREATE, status, body={"detail": detail})

    def throttle_polls(self, status: int = 429, retry_after: str = "2", count: int = 2) -> None:
        self.server.fail(
            "GET",
            GET,
            status,
            count=count,
            body={"detail": "Too many requests" if status == 429 else "Service unavailable"},
            headers={"Retry-After": retry_after},
        )

    # -- handlers ------------------------------------------------------------------------

    def _unauthorized(self, req: Request) -> Response | None:
        if req.headers.get("authorization") == f"Bearer {self.key}":
            return None
        return Response(401, {"detail": "Invalid API key"})

    def _create(self, req: Request) -> Response:
        if (denied := self._unauthorized(req)) is not None:
            return denied
        body = req.json()
        problems = []
        if body.get("model") not in ("ray-2", "ray-flash-2"):
            problems.append(f"model {body.get('model')!r} is not supported")
        if body.get("duration", "5s") not in ("5s", "9s"):
            problems.append(f"duration {body.get('duration')!r} must be 5s or 9s")
        if body.get("resolution", "720p") not in ("540p", "720p", "1080p", "4k"):
            problems.append(f"resolution {body.get('resolution')!r} is not supported")
        if problems:
            return Response(400, {"detail": "; ".join(problems)})
        gid = str(uuid.uuid4())
        generation = {
            "id": gid,
            "generation_type": "video",
            "state": "queued",
            "failure_reason": None,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "assets": None,
            "model": body.get("model"),
            "request": {"generation_type": "video", **body},
        }
        with self.lock:
            self.generations[gid] = generation
            self.polls[gid] = 0
            self.outcomes[gid] = self.outcome
        return Response(201, generation)

    def _get(self, req: Request) -> Response:
        if (denied := self._unauthorized(req)) is not None:
            return denied
        gid = req.match["id"]
        with self.lock:
            gen = self.generations.get(gid)
            if gen is None:
                return Response(404, {"detail": "Generation not found"})
            self.polls[gid] += 1
            outcome = self.outcomes[gid]
            if gen["state"] in ("completed", "failed"):
                pass
            elif outcome == "hang" or self.polls[gid] <= self.steps:
                gen["state"] = "queued" if self.polls[gid] <= 1 else "dreaming"
            elif outcome == "succeed":
                gen["state"] = "completed"
                gen["assets"] = {
                    "video": f"{self.server.url}/cdn/{gid}.mp4",
                    "image": f"{self.server.url}/cdn/{gid}.jpg",
                    "progress_video": None,
                }
            else:
                gen["state"] = "failed"
                gen["failure_reason"] = MODERATION_REASON if outcome == "blocked" else FAILED_REASON
            return Response(200, dict(gen))

    def _list(self, req: Request) -> Response:
        if (denied := self._unauthorized(req)) is not None:
            return denied
        query = parse_qs(req.query)
        limit = int(query.get("limit", ["10"])[0])
        offset = int(query.get("offset", ["0"])[0])
        with self.lock:
            newest_first = sorted(
                self.generations.values(), key=lambda g: g["created_at"], reverse=True
            )
        page = newest_first[offset : offset + limit]
        return Response(
            200,
            {
                "generations": page,
                "count": len(page),
                "has_more": offset + limit < len(newest_first),
                "limit": limit,
                "offset": offset,
            },
        )

    def _video(self, req: Request) -> Response:
        if self.expire_outputs:
            return Response(403, EXPIRED_XML, {"Content-Type": "application/xml"})
        if req.match["id"] not in self.generations:
            return Response(404, {"detail": "Not found"})
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})
