"""luma-agents: Luma's Ray 3.2 through its Agents API and the official `luma-agents` SDK.

create: POST `/v1/generations` {type "video", model "ray-3.2", prompt, aspect_ratio,
video: {duration "5s" | "10s", resolution, start_frame?, end_frame?}}; get: GET
`/v1/generations/{id}` with `state` queued -> processing -> completed (`output`: a list of
presigned URLs valid for an hour, downloaded at once) or failed (`failure_code`,
`failure_reason`). The API has no list call, so a create whose reply is lost stays
uncertain until the user settles it.

Decisions:
- Keyframes: a first frame (`image:`) and a last frame (`end_image:`), alone or together,
  are sent inline as base64 `ImageRef`s, so local files need no hosting (the Dream
  Machine API behind `luma:ray-2` takes only URLs).
- Extend: `extend:` sends the parent take's Luma generation id as `start_frame`
  (forward extend), so the parent must be a `luma-agents` take of the same account.
- 10 s is text to video only (Luma's model guide): a keyframe or extend at 10 s is
  refused at planning, before any create.
- No seed and no negative prompt: seeds name repeats; a negative prompt is not sent.
- Luma reports no cost: a finished video is charged at the table price, a failed one at
  nothing (Luma's docs name no charge for failures).

Key: LUMA_AGENTS_API_KEY; base URL override: LUMA_BASE_URL (the SDK's own names).
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import IMAGE_TYPES, Connection, ProviderBackend
from takelab.backends.models import with_features
from takelab.errors import BackendError, TakelabError, UsageError

if TYPE_CHECKING:
    from luma_agents import Luma
    from luma_agents.types import Generation

log = logging.getLogger(__name__)

NAME = "luma-agents"
IMAGE_LIMIT = 50 * 1024 * 1024  # Luma's error guide: 413 above 50 MB

_RAY3 = Capabilities(
    durations=(5.0, 10.0),
    min_duration_s=5.0,
    max_duration_s=10.0,
    aspects=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9"),
    resolutions=("540p", "720p", "1080p"),
    seed=False,
    image_input=True,
    text_only_durations=(10.0,),
)
# What the model does beyond sizes (last frame, extend) comes from the model table.
CAPABILITIES: dict[str, Capabilities] = {"ray-3.2": with_features(NAME, "ray-3.2", _RAY3)}

# failure_code -> (our error code, blocked by moderation)
FAILURES: dict[str, tuple[str, bool]] = {
    "content_moderated": ("moderation", True),
    "rate_limited": ("rate-limited", False),
    "budget_exhausted": ("budget-exhausted", False),
    "invalid_request": ("invalid-request", False),
}
_STATES = {"queued": JobState.QUEUED, "processing": JobState.RUNNING}


class LumaAgentsBackend(ProviderBackend):
    """Luma Ray 3.2: 5 or 10 s, six aspects, 540p to 1080p, first and last frame, extend."""

    name: ClassVar[str] = NAME
    default_model: ClassVar[str] = "ray-3.2"
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "$0.72 / $1.08 / $2.16 per 5 s block at 540p / 720p / 1080p (3rd-party, Dec 2026);"
        " 10 s is two blocks; failed or moderated generations are not charged"
    )
    connection = Connection(
        "LUMA_AGENTS_API_KEY",
        "LUMA_BASE_URL",
        "https://agents.lumalabs.ai/v1",
        "luma_agents",
        "luma-agents",
    )
    deadline_s: ClassVar[float] = 1200.0

    def request_problems(self, request: TakeRequest, caps: Capabilities) -> list[str]:
        problems = caps.problems(request)
        if request.extend and request.image_sha256:
            problems.append("extend starts from the parent take; a first frame (image:) cannot")
        return problems

    def create_params(self, request: TakeRequest) -> dict[str, Any]:
        """The arguments of `generations.create` for a take; UsageError if not allowed."""
        self.check_request(request)
        video: dict[str, Any] = {
            "duration": f"{request.duration_s:g}s",
            "resolution": request.resolution,
        }
        if request.extend:
            video["start_frame"] = {"generation_id": parent_generation(request)}
        elif request.image_path:
            video["start_frame"] = image_ref(Path(request.image_path))
        if request.end_image_path:
            video["end_frame"] = image_ref(Path(request.end_image_path))
        return {
            "type": "video",
            "model": request.model,
            "prompt": request.prompt,
            "aspect_ratio": request.aspect,
            "video": video,
        }

    def _client(self) -> Luma:
        """The SDK client (see `sdk_client`): no retries of its own."""
        self.sdk()
        from luma_agents import Luma

        return self.sdk_client(Luma, key_arg="auth_token")

    def submit(self, request: TakeRequest) -> str:
        try:
            params = self.create_params(request)
            client = self._client()
        except (TakelabError, OSError) as exc:  # nothing was sent
            raise self.not_sent(exc) from exc
        if request.negative:
            log.warning("%s has no negative prompt; %r is not sent", NAME, request.negative)
        generation = self.create_once(lambda: client.generations.create(**params), request.model)
        return self.returned_id(generation.id, "generation id")

    def _get(self, job_id: str) -> Generation:
        client = self._client()
        return self.retrying(lambda: client.generations.get(job_id), f"poll {job_id}")

    def poll(self, job_id: str) -> JobStatus:
        return job_status(self._get(job_id))

    def fetch(self, job_id: str, dest: Path) -> Path:
        generation = self._get(job_id)  # the URLs expire within the hour: take fresh ones
        url = video_url(generation)
        if url is None:
            raise BackendError(
                self.name, f"generation {job_id} has no video (state {generation.state})"
            )
        return self.download(url, dest)  # a presigned URL on Luma's storage: no key


def parent_generation(request: TakeRequest) -> str:
    """The Luma generation id of the take `request` extends; UsageError if it has none."""
    backend, _, job = (request.extend_job or "").partition(":")
    if backend != NAME or not job:
        made = f"was made by {backend}" if backend else "has no provider job on record"
        raise UsageError(
            f"{NAME} extends a take by its Luma generation id, and take {request.extend} {made}",
            hint=f"extend a take made by {NAME} (Luma continues only its own generations)",
        )
    return job


def image_ref(path: Path) -> dict[str, str]:
    """A local keyframe as the inline ImageRef Luma accepts (base64 and its MIME type)."""
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise UsageError(
            f"{NAME} takes PNG, JPEG or WebP keyframes, not {path.name}",
            hint="convert the image to .png or .jpg",
        )
    data = path.read_bytes()
    if len(data) > IMAGE_LIMIT:
        raise UsageError(f"{path.name} is larger than Luma's 50 MB limit for input images")
    return {"data": base64.b64encode(data).decode("ascii"), "media_type": mime}


def video_url(generation: Generation) -> str | None:
    """The URL of the generation's video output, if it has one."""
    for output in generation.output or ():
        if output.url and (output.type or "video").startswith("video"):
            return output.url
    return None


def job_status(generation: Generation) -> JobStatus:
    """Map a Ray 3.2 generation onto a JobStatus; failed or moderated ones cost nothing."""
    state = generation.state
    if state == "completed":
        if video_url(generation):
            return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)
        code, reason, blocked = "no-video", "completed without a video", False
    elif state == "failed":
        failure = generation.failure_code or "generation_failed"
        code, blocked = FAILURES.get(failure, (failure.replace("_", "-"), False))
        reason = generation.failure_reason or f"the generation failed ({failure})"
    else:
        return JobStatus(state=_STATES.get(state, JobState.QUEUED), progress=None, cost_usd=None)
    return JobStatus(
        state=JobState.BLOCKED if blocked else JobState.FAILED,
        progress=None,
        error_code=code,
        error_message=reason,
        cost_usd=0.0,
    )
