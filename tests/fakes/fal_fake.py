"""A fake of fal's queue API as fal_client 1.0 speaks it.

POST /{app} submits (`{request_id, response_url, status_url, cancel_url, ...}`); GET
/{owner}/{alias}/requests/{id}/status answers IN_QUEUE, IN_PROGRESS, then COMPLETED
(with `error` / `error_type` when the request failed); GET .../requests/{id} is the
result (`{"video": {"url": ...}}`) or the request's error in fal's shape (`{"detail": [...]}`
with a typed error); PUT .../cancel cancels. Auth is `Authorization: Key <FAL_KEY>`; a
wrong key gets 401. The video is served, without auth like fal's CDN, at /files/{id}.mp4.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fakes._provider_fake import ProviderFake
from fakes._server import Request, Response, sample_mp4

SUBMIT = r"/(?P<app>fal-ai/[^?]+)"
STATUS = r"/(?P<owner>[^/]+)/(?P<alias>[^/]+)/requests/(?P<rid>[^/]+)/status"
RESULT = r"/(?P<owner>[^/]+)/(?P<alias>[^/]+)/requests/(?P<rid>[^/]+)"
CANCEL = r"/(?P<owner>[^/]+)/(?P<alias>[^/]+)/requests/(?P<rid>[^/]+)/cancel"
FILE = r"/files/(?P<rid>[^/]+)\.mp4"


@dataclass
class Job:
    app: str
    arguments: dict[str, Any]
    outcome: str  # ok, moderation, failure
    polls: int = 0
    cancelled: bool = False


@dataclass
class FalFake(ProviderFake):
    """The queue, its jobs and switches for how the next jobs end: `outcome` (ok,
    moderation, failure), `polls_to_finish` (status GETs before COMPLETED), `hold`,
    `expire_outputs` (media URLs answer 404 as expired fal media do), `retired` (apps that
    answer 404 "no longer available")."""

    polls_to_finish: int = 2
    retired: set[str] = field(default_factory=set)
    jobs: dict[str, Job] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    ROUTES = (
        ("POST", SUBMIT, "_submit"),
        ("GET", STATUS, "_status"),
        ("GET", RESULT, "_result"),
        ("PUT", CANCEL, "_cancel"),
        ("GET", FILE, "_file"),
    )
    OUTCOMES = ("ok", "failure", "moderation")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", SUBMIT), ("GET", STATUS), ("GET", FILE)
    AUTH: ClassVar[tuple[str, str]] = ("authorization", "Key ")
    AUTH_MESSAGE: ClassVar[str] = "No user found for Key ID and Secret"

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.jobs

    @property
    def url(self) -> str:
        return self.server.url + "/"

    @property
    def api_url(self) -> str:
        return self.url

    # -- protocol ---------------------------------------------------------------------

    def _urls(self, app: str, rid: str) -> dict[str, str]:
        owner, alias = app.split("/")[:2]
        base = f"{self.server.url}/{owner}/{alias}/requests/{rid}"
        return {
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
        }

    def _submit(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        app = req.match["app"]
        if app in self.retired:
            return Response(404, {"detail": f"Model '{app}' is no longer available"})
        body = req.json()
        if isinstance(body, dict) and body.get("prompt") and body.get("multi_prompt"):
            # Kling 3.0: "Either prompt or multi_prompt must be provided, but not both."
            return Response(
                422,
                {"detail": [{"loc": ["body"], "msg": "prompt and multi_prompt", "type": "value"}]},
            )
        i2v = isinstance(body, dict) and "/v3/" in app and "image-to-video" in app
        if i2v and not str(body.get("start_image_url", "")).startswith("data:image/"):
            return Response(
                422,
                {"detail": [{"loc": ["body", "start_image_url"], "msg": "Field required"}]},
            )
        if isinstance(body, dict) and body.get("multi_prompt"):
            pass
        elif not isinstance(body, dict) or not body.get("prompt"):
            return Response(
                422,
                {
                    "detail": [
                        {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}
                    ]
                },
            )
        rid = f"req-{next(self._ids):04d}"
        self.jobs[rid] = Job(app, body, self.outcome)
        return Response(
            200,
            {"status": "IN_QUEUE", "request_id": rid, "queue_position": 0, **self._urls(app, rid)},
            {"x-fal-request-id": rid},
        )

    def _job(self, req: Request) -> Job | Response:
        if denied := self.denied(req):
            return denied
        job = self.jobs.get(req.match["rid"])
        if job is None:
            return Response(404, {"detail": "Request not found"})
        return job

    def _done(self, job: Job) -> bool:
        return not self.hold and job.polls > self.polls_to_finish

    def _status(self, req: Request) -> Response:
        job = self._job(req)
        if isinstance(job, Response):
            return job
        job.polls += 1
        urls = self._urls(job.app, req.match["rid"])
        if job.polls == 1 and not self._done(job):
            return Response(200, {"status": "IN_QUEUE", "queue_position": 0, **urls})
        if not self._done(job):
            return Response(200, {"status": "IN_PROGRESS", "logs": None, **urls})
        body: dict[str, Any] = {"status": "COMPLETED", "logs": None, "metrics": {}, **urls}
        if job.outcome == "moderation":
            body.update(error="Unprocessable Entity", error_type=None)
        elif job.outcome == "failure":
            body.update(error="Internal Server Error", error_type="runner_server_error")
        else:
            body["metrics"] = {"inference_time": 41.5}
        return Response(200, body)

    def _result(self, req: Request) -> Response:
        job = self._job(req)
        if isinstance(job, Response):
            return job
        rid = req.match["rid"]
        if not self._done(job):
            return Response(400, {"detail": "Request is still in progress"})
        if job.outcome == "moderation":
            return Response(
                422,
                {
                    "detail": [
                        {
                            "loc": ["body", "prompt"],
                            "msg": "The content was flagged by a content checker.",
                            "type": "content_policy_violation",
                            "url": "https://docs.fal.ai/errors#content_policy_violation",
                            "input": job.arguments.get("prompt"),
                        }
                    ]
                },
            )
        if job.outcome == "failure":
            return Response(
                500,
                {"detail": "Runner crashed while generating"},
                {"x-fal-error-type": "runner_server_error", "x-fal-request-id": rid},
            )
        video = {
            "url": f"{self.server.url}/files/{rid}.mp4",
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": len(sample_mp4()),
        }
        return Response(200, {"video": video, "seed": job.arguments.get("seed", 0)})

    def _file(self, req: Request) -> Response:
        if self.expire_outputs:
            return Response(404, b"Not Found", {"Content-Type": "text/plain"})
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})

    def _cancel(self, req: Request) -> Response:
        job = self._job(req)
        if isinstance(job, Response):
            return job
        job.cancelled = True
        return Response(202, {"status": "CANCELLATION_REQUESTED"})
