"""The Luma fake with jobs that take wall-clock time instead of a number of polls.

A generation is queued for its first moments, dreaming until `job_s` seconds after its
create call, then completed; `poll_delay_s` makes every GET slow, so that a worker is
likely to be inside a poll when a test kills it, and `create_delay_s` holds a create call's
reply after the generation exists (a worker killed then has created a job it never saw).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fakes._server import Request, Response
from fakes.luma_fake import LumaFake


@dataclass
class TimedLumaFake(LumaFake):
    job_s: float = 3.0
    poll_delay_s: float = 0.0
    create_delay_s: float = 0.0
    born: dict[str, float] = field(default_factory=dict)

    def _create(self, req: Request) -> Response:
        resp = super()._create(req)
        if resp.status == 201:
            with self.lock:
                self.born[resp.body["id"]] = time.monotonic()
            time.sleep(self.create_delay_s)
        return resp

    def _get(self, req: Request) -> Response:
        if self.poll_delay_s:
            time.sleep(self.poll_delay_s)
        gid = req.match["id"]
        with self.lock:
            born = self.born.get(gid)
            if born is not None:
                age = time.monotonic() - born
                # LumaFake moves on by poll count: set the count that the age calls for.
                self.polls[gid] = self.steps if age >= self.job_s else min(int(age > 0.5), 1)
        return super()._get(req)
