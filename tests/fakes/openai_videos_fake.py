"""A fake of the `/v1/videos` protocol as the openai SDK (3.57) speaks it, on a FakeServer.

POST /v1/videos takes multipart/form-data (prompt, model, seconds, size, an optional
`input_reference` file) with `Authorization: Bearer <key>` and answers a `video` object;
GET /v1/videos/{id} moves it queued -> in_progress -> completed (or failed, with
`error.code` and `error.message`) over successive polls; GET /v1/videos/{id}/content
streams a real MP4; GET /v1/videos lists jobs newest first with cursor paging. Errors are
OpenAI's `{"error": {"message", "type", "param", "code"}}` bodies.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any, ClassVar
from urllib.parse import parse_qs

from fakes._provider_fake import ProviderFake
from fakes._server import Request, Response, sample_mp4

VIDEOS = "/v1/videos"
VIDEO = r"/v1/videos/(video_[0-9a-f]+)"
CONTENT = r"/v1/videos/(video_[0-9a-f]+)/content"
SIZES = {
    "sora-2": {"720x1280", "1280x720"},
    "sora-2-pro": {"720x1280", "1280x720", "1024x1792", "1792x1024"},
}
OUTCOMES = {
    "moderation": ("moderation_blocked", "Your request was blocked by our moderation system."),
    "failure": ("internal_error", "Video generation failed due to an internal error."),
}


def error(status: int, message: str, *, code: str | None, param: str | None = None) -> Response:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(status, body)


@dataclass
class Job:
    id: str
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]
    outcome: str
    created_at: int
    polls: int = 0
    status: str = "queued"

    def json(self) -> dict[str, Any]:
        done = self.status in ("completed", "failed")
        err = None
        if self.status == "failed":
            code, message = OUTCOMES[self.outcome]
            err = {"code": code, "message": message}
        return {
            "id": self.id,
            "object": "video",
            "model": self.fields.get("model", "sora-2"),
            "status": self.status,
            "progress": {"queued": 0, "in_progress": 50}.get(self.status, 100),
            "created_at": self.created_at,
            "completed_at": self.created_at + 60 if done else None,
            "expires_at": self.created_at + 3600 if self.status == "completed" else None,
            "seconds": self.fields.get("seconds", "4"),
            "size": self.fields.get("size", "720x1280"),
            "prompt": self.fields.get("prompt"),
            "remixed_from_video_id": None,
            "error": err,
        }


@dataclass
class OpenAIVideosFake(ProviderFake):
    """The video job store with switches: `outcome` ("success", "moderation", "failure") for
    new jobs, `hold` (jobs never finish while set), `polls_to_finish`, `expire_outputs`
    (True: completed jobs' content is past `expires_at` and answers 404)."""

    polls_to_finish: int = 3
    jobs: dict[str, Job] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    ROUTES = (
        ("POST", VIDEOS, "_create"),
        ("GET", VIDEOS, "_list"),
        ("GET", VIDEO, "_get"),
        ("GET", CONTENT, "_content"),
    )
    OUTCOMES = ("success", "failure", "moderation")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", VIDEOS), ("GET", VIDEO), ("GET", CONTENT)
    AUTH_MESSAGE: ClassVar[str] = "Incorrect API key provided."

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.jobs

    def error(self, status: int, message: str) -> Any:
        code = "invalid_api_key" if status == 401 else None
        return error(status, message, code=code).body

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/v1"

    @property
    def api_url(self) -> str:
        return self.base_url

    @property
    def creates(self) -> int:
        """Jobs made: create calls that reached the job store (refused ones make none)."""
        return len(self.jobs)

    def reset(self) -> None:
        super().reset()
        self.polls_to_finish = 3

    # -- handlers ------------------------------------------------------------------------

    def _create(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        ctype = req.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return error(400, "Expected multipart/form-data.", code=None)
        fields, files = parse_multipart(req.body, ctype)
        model = fields.get("model", "sora-2")
        checks = [
            ("prompt", bool(fields.get("prompt"))),
            ("model", model in SIZES),
            ("seconds", fields.get("seconds", "4") in ("4", "8", "12")),
            ("size", fields.get("size", "720x1280") in SIZES.get(model, set())),
        ]
        for param, ok in checks:
            if not ok:
                value = fields.get(param)
                return error(
                    400,
                    f"Invalid value for '{param}': {value!r}.",
                    code="invalid_value",
                    param=param,
                )
        unknown = (set(fields) - {"prompt", "model", "seconds", "size"}) | (
            set(files) - {"input_reference"}
        )
        if unknown:
            return error(
                400, f"Unknown parameter: '{sorted(unknown)[0]}'.", code="unknown_parameter"
            )
        job_id = f"video_{next(self._ids):032x}"
        job = Job(job_id, fields, files, self.outcome, int(time.time()))
        self.jobs[job_id] = job
        return Response(200, job.json())

    def _get(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        job = self.jobs.get(req.match.group(1))
        if job is None:
            return error(404, "Video not found.", code="not_found")
        job.polls += 1
        if job.status in ("queued", "in_progress") and job.polls > 1:
            finished = not self.hold and job.polls >= self.polls_to_finish
            if finished:
                job.status = "completed" if job.outcome == "success" else "failed"
            else:
                job.status = "in_progress"
        return Response(200, job.json())

    def _content(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        job = self.jobs.get(req.match.group(1))
        if job is None:
            return error(404, "Video not found.", code="not_found")
        if job.status != "completed":
            return error(400, "Video is not ready yet.", code="video_not_ready")
        if self.expire_outputs:
            return error(404, f"The content of video {job.id} has expired.", code="not_found")
        variant = parse_qs(req.query).get("variant", ["video"])[0]
        if variant != "video":
            return error(400, f"Variant {variant!r} is not available.", code="invalid_value")
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})

    def _list(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        query = {k: v[0] for k, v in parse_qs(req.query).items()}
        jobs = sorted(self.jobs.values(), key=lambda j: (j.created_at, j.id))
        if query.get("order", "desc") == "desc":
            jobs.reverse()
        ids = [j.id for j in jobs]
        start = ids.index(query["after"]) + 1 if query.get("after") in ids else 0
        page = jobs[start : start + int(query.get("limit", "20"))]
        return Response(
            200,
            {
                "object": "list",
                "data": [j.json() for j in page],
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
                "has_more": start + len(page) < len(jobs),
            },
        )


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    """Form fields and files of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email_policy).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:
            files[name] = (filename, payload, part.get_content_type())
        else:
            fields[name] = payload.decode()
    return fields, files
