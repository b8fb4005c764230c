"""A fake of Luma's Agents API (Ray 3.2), speaking what the `luma-agents` 0.5 SDK sends.

- POST /v1/generations {type, model, prompt, aspect_ratio, video: {duration, resolution,
  start_frame?, end_frame?}} -> 201 and the generation (state "queued"); keyframes are
  ImageRefs with exactly one of url, data (+ media_type) or generation_id;
- GET /v1/generations/{id} -> the generation, one state further per poll: queued,
  processing, then completed (`output`: [{type "video", url}]) or failed (`failure_code`,
  `failure_reason`);
- GET /files/{id}.mp4 -> the video (a presigned URL: no key needed).

The key is checked as `Authorization: Bearer`. Refusals are `{"detail": "..."}` with the
statuses of Luma's error guide (400 invalid, 401 key, 402 no balance, 422 a parameter
combination, 429 rate limited with Retry-After); a model in `retired` answers 404 "is no
longer available", as the other providers' fakes do for a shut-down model. Responses carry
`X-API-Version: 2026-04-01` as Luma's do.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fakes._server import FakeServer, Request, Response, sample_mp4

BASE = "/v1"
CREATE = BASE + "/generations"
GET = BASE + r"/generations/(?P<id>[0-9a-f-]{36})"
VIDEO = r"/files/(?P<id>[0-9a-f-]{36})\.mp4"
HEADERS = {"X-API-Version": "2026-04-01"}
# outcome -> (failure_code, failure_reason)
FAILURES = {
    "blocked": ("content_moderated", "Prompt or input image violated content guidelines"),
    "fail": ("generation_failed", "Internal model error during generation"),
    "rate_limited": ("rate_limited", "Rate limited while generating"),
}
ASPECTS = {"16:9", "9:16", "1:1", "4:3", "3:4", "21:9"}
EXPIRED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


@dataclass
class LumaAgentsFake:
    """Generations move one state per poll: `steps` polls queued/processing, then the
    outcome ("succeed", "blocked", "fail", "rate_limited", "hang"). `expire_outputs`: video
    URLs answer 403 as a presigned URL past its hour does."""

    key: str = "canary-secret-123"
    steps: int = 2
    outcome: str = "succeed"
    expire_outputs: bool = False
    retired: set[str] = field(default_factory=set)
    server: FakeServer = field(default_factory=FakeServer)
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> request body

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.polls: dict[str, int] = {}
        self.outcomes: dict[str, str] = {}
        self.server.route("POST", CREATE)(self._create)
        self.server.route("GET", GET)(self._get)
        self.server.route("GET", VIDEO)(self._video)

    @contextmanager
    def running(self) -> Iterator[LumaAgentsFake]:
        with self.server.running():
            yield self

    @property
    def base_url(self) -> str:
        return self.server.url + BASE

    url = base_url

    @property
    def creates(self) -> int:
        """Create calls that reached the API (an injected fault answers before it); the
        generations made are `generations`."""
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
        """The next create makes its generation, then the connection drops unanswered."""
        self.server.fail("POST", CREATE, None, after=True)

    def refuse_create(
        self, status: int = 400, detail: str = "bad request", retry_after: str | None = None
    ) -> None:
        headers = {**HEADERS, **({"Retry-After": retry_after} if retry_after else {})}
        self.server.fail("POST", CREATE, status, body={"detail": detail}, headers=headers)

    def throttle_polls(self, status: int = 429, retry_after: str = "2", count: int = 2) -> None:
        detail = "Rate limit exceeded" if status == 429 else "Upstream service unavailable"
        self.server.fail(
            "GET",
            GET,
            status,
            count=count,
            body={"detail": detail},
            headers={**HEADERS, "Retry-After": retry_after},
        )

    # -- handlers ------------------------------------------------------------------------

    def _unauthorized(self, req: Request) -> Response | None:
        if req.headers.get("authorization") == f"Bearer {self.key}":
            return None
        return Response(401, {"detail": "Invalid or missing API key"}, dict(HEADERS))

    def _refuse(self, status: int, detail: str) -> Response:
        return Response(status, {"detail": detail}, dict(HEADERS))

    def _problems(self, body: dict[str, Any]) -> tuple[int, str] | None:
        """What Luma refuses in a video request: (status, detail), or None."""
        if body.get("type") != "video" or not body.get("prompt"):
            return 400, "type must be 'video' with a prompt"
        if body.get("aspect_ratio") not in ASPECTS:
            return 400, f"aspect_ratio {body.get('aspect_ratio')!r} is not valid for ray-3.2"
        video = body.get("video") or {}
        if video.get("duration", "5s") not in ("5s", "10s"):
            return 400, f"duration {video.get('duration')!r} must be 5s or 10s"
        if video.get("resolution", "720p") not in ("360p", "540p", "720p", "1080p"):
            return 400, f"resolution {video.get('resolution')!r} is not supported"
        frames = [video[k] for k in ("start_frame", "end_frame") if video.get(k)]
        for ref in frames:
            given = [k for k in ("url", "data", "generation_id", "file_id") if ref.get(k)]
            if len(given) != 1:
                return 400, "an ImageRef takes exactly one of url, data, generation_id, file_id"
            if ref.get("data"):
                if not str(ref.get("media_type", "")).startswith("image/"):
                    return 400, "media_type is required with data"
                try:
                    base64.b64decode(ref["data"], validate=True)
                except ValueError:
                    return 422, "Bad image data: base64 could not be decoded"
            gid = ref.get("generation_id")
            if gid and gid not in self.generations:
                return 400, f"generation {gid} not found for this client"
        if frames and video.get("duration") == "10s":
            return 422, "10s duration supports text-to-video only"
        return None

    def _create(self, req: Request) -> Response:
        if (denied := self._unauthorized(req)) is not None:
            return denied
        body = req.json()
        model = body.get("model", "uni-1")
        if model in self.retired:
            return self._refuse(404, f"Model {model} is no longer available")
        if model != "ray-3.2":
            return self._refuse(400, f"model {model!r} does not support video")
        if (problem := self._problems(body)) is not None:
            return self._refuse(*problem)
        gid = str(uuid.uuid4())
        generation = {
            "id": gid,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "model": model,
            "state": "queued",
            "type": "video",
            "failure_code": None,
            "failure_reason": None,
            "output": None,
        }
        with self.lock:
            self.generations[gid] = generation
            self.bodies[gid] = body
            self.polls[gid] = 0
            self.outcomes[gid] = self.outcome
        return Response(201, dict(generation), dict(HEADERS))

    def _get(self, req: Request) -> Response:
        if (denied := self._unauthorized(req)) is not None:
            return denied
        gid = req.match["id"]
        with self.lock:
            gen = self.generations.get(gid)
            if gen is None:
                return Response(404, {"detail": "Generation not found"}, dict(HEADERS))
            self.polls[gid] += 1
            outcome = self.outcomes[gid]
            if gen["state"] in ("completed", "failed"):
                pass
            elif outcome == "hang" or self.polls[gid] <= self.steps:
                gen["state"] = "queued" if self.polls[gid] <= 1 else "processing"
            elif outcome == "succeed":
                gen["state"] = "completed"
                gen["output"] = [{"type": "video", "url": f"{self.server.url}/files/{gid}.mp4"}]
            else:
                gen["state"] = "failed"
                gen["failure_code"], gen["failure_reason"] = FAILURES[outcome]
            return Response(200, dict(gen), dict(HEADERS))

    def _video(self, req: Request) -> Response:
        if self.expire_outputs:
            return Response(403, EXPIRED_XML, {"Content-Type": "application/xml"})
        if req.match["id"] not in self.generations:
            return Response(404, {"detail": "Not found"})
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})
