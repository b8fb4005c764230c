"""Luma Dream Machine (Ray 2) through the official `lumaai` SDK.

create: POST `/generations/video` {model, prompt, aspect_ratio, duration "5s" | "9s",
resolution}; get: GET `/generations/{id}` with `state` queued -> dreaming -> completed
(`assets.video`: a CDN URL, downloaded at once) or failed (`failure_reason`); list: GET
`/generations?limit&offset`, which `reconcile` searches for the job of an uncertain take.

Decisions:
- First frames: Luma takes keyframes only as image URLs it can fetch; it documents no data
  URIs or uploads. A take's image is a local file, so image input is declared unsupported
  and such a take stops at planning ("a first-frame image is not accepted") before any
  money is spent. Host the image and extend this backend to pass its URL if you need it.
- Luma's video API has no seed and no negative prompt: seeds name repeats, and a negative
  prompt is not sent (a warning says so) rather than folded into the prompt.
- Luma reports no cost: a finished video is charged at the table price; a failed or
  moderated generation at nothing.

Key: LUMAAI_API_KEY; base URL override: LUMAAI_BASE_URL (read by the SDK).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import Connection, ProviderBackend
from takelab.backends.models import with_features
from takelab.errors import BackendError, TakelabError

if TYPE_CHECKING:
    from lumaai import LumaAI
    from lumaai.types import Generation

log = logging.getLogger(__name__)

_RAY = Capabilities(
    durations=(5.0, 9.0),
    min_duration_s=5.0,
    max_duration_s=9.0,
    aspects=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"),
    resolutions=("540p", "720p", "1080p", "4k"),
    seed=False,
    image_input=False,
    audio=False,
)
# What each model does beyond sizes (audio, references...) comes from the model table.
CAPABILITIES = {m: with_features("luma", m, _RAY) for m in ("ray-2", "ray-flash-2")}

# How Luma words a generation refused by its moderation.
_MODERATION = re.compile(r"moderat|flagged|not allowed|prohibited|violat|nsfw|unsafe", re.I)
_STATES = {"queued": JobState.QUEUED, "dreaming": JobState.RUNNING}


class LumaBackend(ProviderBackend):
    """Luma's Ray models: 5 or 9 s, seven aspect ratios, 540p to 4k, no seed."""

    lists_jobs: ClassVar[bool] = True
    name: ClassVar[str] = "luma"
    default_model: ClassVar[str] = "ray-2"
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "$0.40 / $0.71 / $1.59 per 5 s at 540p / 720p / 1080p (3rd-party, Oct 2025);"
        " 9 s is 9/5 of it; failed or moderated generations are not charged"
    )
    connection = Connection(
        "LUMAAI_API_KEY", "LUMAAI_BASE_URL", "https://api.lumalabs.ai/dream-machine/v1", "lumaai"
    )
    deadline_s: ClassVar[float] = 1200.0

    def request_hint(self, request: TakeRequest) -> str | None:
        return "Luma takes first frames only as image URLs" if request.image_sha256 else None

    def create_params(self, request: TakeRequest) -> dict[str, Any]:
        """The arguments of `generations.create` for a take; UsageError if not allowed."""
        self.check_request(request)
        return {
            "model": request.model,
            "prompt": request.prompt,
            "aspect_ratio": request.aspect,
            "duration": f"{request.duration_s:g}s",
            "resolution": request.resolution,
        }

    def _client(self) -> LumaAI:
        """The SDK client (see `sdk_client`): no retries of its own."""
        self.sdk()
        from lumaai import LumaAI

        return self.sdk_client(LumaAI, key_arg="auth_token")

    def submit(self, request: TakeRequest) -> str:
        try:
            params = self.create_params(request)
            client = self._client()
        except TakelabError as exc:
            raise self.not_sent(exc) from exc
        if request.negative:
            log.warning("luma has no negative prompt; %r is not sent", request.negative)
        generation = self.create_once(lambda: client.generations.create(**params), request.model)
        return self.returned_id(generation.id, "generation id")

    def _get(self, job_id: str) -> Generation:
        client = self._client()
        return self.retrying(lambda: client.generations.get(job_id), f"poll {job_id}")

    def poll(self, job_id: str) -> JobStatus:
        return job_status(self._get(job_id))

    def fetch(self, job_id: str, dest: Path) -> Path:
        generation = self._get(job_id)
        url = generation.assets.video if generation.assets else None
        if not url:
            raise BackendError(
                self.name, f"generation {job_id} has no video (state {generation.state})"
            )
        return self.download(url, dest)

    def find_jobs(
        self, request: TakeRequest, *, since: float | None = None, pages: int = 5
    ) -> list[str]:
        """Generations made for what `request` sends (same model, prompt, duration, aspect
        and resolution), created at or after `since` minus a minute, newest first."""
        params = self.create_params(request)
        client = self._client()
        after = datetime.fromtimestamp(since - 60, UTC) if since is not None else None

        def too_old(when: datetime | None) -> bool:
            if after is None or when is None:
                return False
            return (when if when.tzinfo else when.replace(tzinfo=UTC)) < after

        found: list[str] = []
        for page in range(pages):
            listing = self.retrying(
                partial(client.generations.list, limit=100, offset=page * 100), "list"
            )
            for gen in listing.generations:
                if too_old(gen.created_at):
                    continue
                sent = gen.request.model_dump() if gen.request is not None else {}
                if gen.id and all(sent.get(k) == v for k, v in params.items()):
                    found.append(gen.id)
            oldest = listing.generations[-1].created_at if listing.generations else None
            if not listing.has_more or too_old(oldest):
                break
        return found


def job_status(generation: Generation) -> JobStatus:
    """Map a Luma generation onto a JobStatus; failed or moderated ones cost nothing."""
    state = generation.state
    if state == "completed":
        if generation.assets is not None and generation.assets.video:
            # The price is the table's: Luma reports no cost.
            return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)
        reason, code, ended = "completed without a video", "no-video", JobState.FAILED
    elif state == "failed":
        reason = generation.failure_reason or "the generation failed"
        blocked = bool(_MODERATION.search(reason))
        code = "moderation" if blocked else "failed"
        ended = JobState.BLOCKED if blocked else JobState.FAILED
    else:
        return JobStatus(
            state=_STATES.get(state or "", JobState.QUEUED), progress=None, cost_usd=None
        )
    return JobStatus(
        state=ended, progress=None, error_code=code, error_message=reason, cost_usd=0.0
    )
