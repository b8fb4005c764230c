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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fakes._provider_fake import EXPIRED_XML, ProviderFake
from fakes._server import Request, Response, sample_mp4

BASE = "/dream-machine/v1"
CREATE = BASE + "/generations/video"
GET = BASE + r"/generations/(?P<id>[0-9a-f-]{36})"
LIST = BASE + "/generations"
VIDEO = r"/cdn/(?P<id>[0-9a-f-]{36})\.mp4"
MODERATION_REASON = "400: prompt not allowed because advanced moderation failed"
FAILED_REASON = "Job failed: internal error"


@dataclass
class LumaFake(ProviderFake):
    """Generations move one state per poll: `steps` polls queued/dreaming, then the outcome
    (succeed, blocked, fail; hang: until released). `expire_outputs` (True): video URLs
    answer 403, as a signed CDN URL past its expiry does."""

    steps: int = 2
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)

    ROUTES = (
        ("POST", CREATE, "_create"),
        ("GET", GET, "_get"),
        ("GET", LIST, "_list"),
        ("GET", VIDEO, "_video"),
    )
    OUTCOMES = ("succeed", "fail", "blocked")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", CREATE), ("GET", GET), ("GET", VIDEO)

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.generations

    def __post_init__(self) -> None:
        super().__post_init__()
        self.lock = threading.Lock()
        self.polls: dict[str, int] = {}
        self.outcomes: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return self.server.url + BASE

    @property
    def api_url(self) -> str:
        return self.base_url

    def release(self, outcome: str = "succeed") -> None:
        with self.lock:
            self.outcome, self.hold = outcome, False
            for gid, o in self.outcomes.items():
                if o == "hang":
                    self.outcomes[gid] = outcome

    def release_jobs(self) -> None:
        self.release(self.OUTCOMES[0])

    def reset(self) -> None:
        super().reset()
        self.polls.clear()
        self.outcomes.clear()

    # -- handlers ------------------------------------------------------------------------

    def _create(self, req: Request) -> Response:
        if denied := self.denied(req):
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
        if denied := self.denied(req):
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
            elif outcome == "hang" or self.hold or self.polls[gid] <= self.steps:
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
        if denied := self.denied(req):
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
