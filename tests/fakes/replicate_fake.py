"""A fake of Replicate's HTTP API as the `replicate` 1.0 SDK speaks it.

POST /v1/models/{owner}/{name}/predictions creates (201, a prediction object); GET
/v1/predictions/{id} moves it starting -> processing -> succeeded (output: a URL) or
failed (`error` text); GET /v1/predictions lists newest first with a `next` cursor URL;
POST /v1/predictions/{id}/cancel cancels. Errors are problem details (`title`, `detail`,
`status`); a wrong or missing `Authorization: Bearer <token>` gets 401. The video is
served without auth, like replicate.delivery, at /files/{id}.mp4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs

from fakes._provider_fake import ProviderFake
from fakes._server import Request, Response, sample_mp4

CREATE = r"/v1/models/(?P<owner>[^/]+)/(?P<name>[^/]+)/predictions"
GET = r"/v1/predictions/(?P<id>[^/]+)"
LIST = r"/v1/predictions"
CANCEL = r"/v1/predictions/(?P<id>[^/]+)/cancel"
FILE = r"/files/(?P<id>[^/]+)\.mp4"

MODERATION_ERROR = (
    "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
)
FAILURE_ERROR = "Prediction failed: the video generation task ran into an internal error"
ASPECTS = ("16:9", "9:16", "1:1")


@dataclass
class Prediction:
    id: str
    model: str
    input: dict[str, Any]
    outcome: str  # ok, moderation, failure
    created_at: str
    polls: int = 0
    canceled: bool = False


@dataclass
class ReplicateFake(ProviderFake):
    """Predictions, their progress and switches for how the next ones end: `outcome` (ok,
    moderation, failure), `polls_to_finish` (GETs before a terminal status), `hold`.
    `expire_outputs`: output files answer 404, as replicate.delivery does once an API
    prediction's files are removed (an hour after it finished); `remove_data` also empties
    the prediction itself (output, input and logs null, `data_removed` true), as Replicate
    does at the same time."""

    polls_to_finish: int = 2
    remove_data: bool = False
    page_size: int = 2
    predictions: dict[str, Prediction] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    ROUTES = (
        ("POST", CREATE, "_create"),
        ("GET", LIST, "_list"),
        ("GET", GET, "_get"),
        ("POST", CANCEL, "_cancel"),
        ("GET", FILE, "_file"),
    )
    OUTCOMES = ("ok", "failure", "moderation")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", CREATE), ("GET", GET), ("GET", FILE)
    AUTH_MESSAGE: ClassVar[str] = "You did not pass a valid authentication token"

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.predictions

    def error(self, status: int, message: str) -> Any:
        titles = {401: "Unauthenticated", 402: "Insufficient credit", 422: "Invalid input"}
        return {"title": titles.get(status, "Error"), "detail": message, "status": status}

    def add(self, model: str, prompt: str, outcome: str = "ok") -> Prediction:
        """A prediction made outside takelab (for listing and reconcile)."""
        n = next(self._ids)
        # Real creation times, as Replicate reports them (reconcile looks at them).
        stamp = datetime.now(UTC) + timedelta(microseconds=n)
        created = stamp.isoformat().replace("+00:00", "Z")
        p = Prediction(f"pred{n:04d}", model, {"prompt": prompt}, outcome, created)
        self.predictions[p.id] = p
        return p

    # -- protocol ---------------------------------------------------------------------

    def _json(self, p: Prediction) -> dict[str, Any]:
        done = not self.hold and p.polls > self.polls_to_finish
        status, output, error, logs = "starting", None, None, ""
        if p.canceled:
            status = "canceled"
        elif done and p.outcome == "ok":
            status, output = "succeeded", f"{self.server.url}/files/{p.id}.mp4"
        elif done:
            status = "failed"
            error = MODERATION_ERROR if p.outcome == "moderation" else FAILURE_ERROR
        elif p.polls >= 2 or (self.hold and p.polls >= 1):
            status, logs = "processing", " 50%|#####     | 5/10 [00:05<00:05, 1.0it/s]"
        base = f"{self.server.url}/v1/predictions/{p.id}"
        removed = self.remove_data and status in ("succeeded", "failed", "canceled")
        if removed:
            output = None
        return {
            "id": p.id,
            "model": p.model,
            "version": "hidden",
            "input": None if removed else p.input,
            "logs": None if removed else logs,
            "output": output,
            "data_removed": removed,
            "error": error,
            "status": status,
            "created_at": p.created_at,
            "urls": {"get": base, "cancel": base + "/cancel", "web": f"https://x/p/{p.id}"},
            "metrics": {"predict_time": 42.0} if status == "succeeded" else {},
        }

    def _invalid(self, data: Any) -> str | None:
        if not isinstance(data, dict) or not data.get("prompt"):
            return "- input.prompt: prompt is required"
        if data.get("duration", 5) not in (5, 10):
            return "- input.duration: duration must be one of the following: 5, 10"
        if data.get("aspect_ratio", "16:9") not in ASPECTS:
            return "- input.aspect_ratio: aspect_ratio must be one of: " + ", ".join(ASPECTS)
        start = data.get("start_image")
        if start is not None and not str(start).startswith(("data:", "http")):
            return "- input.start_image: Does not match format 'uri'"
        return None

    def _create(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        data = req.json().get("input")
        if problem := self._invalid(data):
            body = {"title": "Input validation failed", "detail": problem, "status": 422}
            return Response(422, body)
        p = self.add(f"{req.match['owner']}/{req.match['name']}", data["prompt"], self.outcome)
        p.input = data
        return Response(201, self._json(p))

    def _get(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        p = self.predictions.get(req.match["id"])
        if p is None:
            return Response(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        p.polls += 1
        return Response(200, self._json(p))

    def _list(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        offset = int(parse_qs(req.query).get("cursor", ["0"])[0])
        newest = sorted(self.predictions.values(), key=lambda p: p.created_at, reverse=True)
        page = newest[offset : offset + self.page_size]
        more = offset + self.page_size < len(newest)
        nxt = f"{self.server.url}/v1/predictions?cursor={offset + self.page_size}" if more else None
        return Response(
            200, {"previous": None, "next": nxt, "results": [self._json(p) for p in page]}
        )

    def _file(self, req: Request) -> Response:
        if self.expire_outputs or self.remove_data:
            return Response(404, b"Not Found", {"Content-Type": "text/plain"})
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})

    def _cancel(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        p = self.predictions.get(req.match["id"])
        if p is None:
            return Response(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        p.canceled = True
        return Response(200, self._json(p))
