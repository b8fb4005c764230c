"""The `/v1/videos` fake with jobs that take wall-clock time instead of a number of polls.

A video is queued for its first half second, in_progress until `job_s` seconds after its
create call, then completed. Benchmarks use it so that a tool that polls often is not
rewarded with a faster "job": the provider's time is the same for everybody.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fakes._server import Request, Response
from fakes.openai_videos_fake import OpenAIVideosFake


@dataclass
class TimedOpenAIVideosFake(OpenAIVideosFake):
    job_s: float = 3.0
    born: dict[str, float] = field(default_factory=dict)

    def _create(self, req: Request) -> Response:
        resp = super()._create(req)
        if resp.status == 200:
            self.born[resp.body["id"]] = time.monotonic()
        return resp

    def _get(self, req: Request) -> Response:
        job = self.jobs.get(req.match.group(1))
        born = self.born.get(job.id) if job else None
        if job is not None and born is not None and job.status in ("queued", "in_progress"):
            age = time.monotonic() - born
            if age >= self.job_s and not self.hold:
                job.status = "completed" if job.outcome == "success" else "failed"
            elif age > 0.5:
                job.status = "in_progress"
            # The parent moves on by poll count: keep it from finishing a job early.
            job.polls = 0
        if denied := self.denied(req):
            return denied
        if job is None:
            return Response(404, {"error": {"message": "Video not found.", "code": "not_found"}})
        return Response(200, job.json())
