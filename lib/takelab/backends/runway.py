"""runway: Runway's API through the official `runwayml` SDK, text or first frame to video.

A take with `image_path` goes to `image_to_video`, any other to `text_to_video`; the model
named is the model sent (gen4.5 takes both; gen4_turbo needs a first frame). Runway reports
what a finished task cost (`cost.credits`, $0.01 each), so that is what the take records;
moderation failures (`SAFETY.*`) are charged by Runway and recorded as blocked.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import Connection, ProviderBackend, image_data_uri
from takelab.backends.models import with_features
from takelab.backends.runway_extend import NO_SEED, extend_args
from takelab.backends.runway_extend import SIZES as EXTEND_SIZES
from takelab.errors import BackendError, UsageError

if TYPE_CHECKING:
    from runwayml import RunwayML

log = logging.getLogger(__name__)

BASE_URL_ENV = "RUNWAYML_BASE_URL"
USD_PER_CREDIT = 0.01
PROMPT_LIMIT = 1000  # UTF-16 code units, per the SDK's docs
SEED_MAX = 4294967295
DATA_URI_LIMIT = 5 * 1024 * 1024  # "base64 data URI ... up to 5MB"

WHOLE_2_TO_10 = tuple(float(s) for s in range(2, 11))
# (aspect, resolution) -> Runway's `ratio`, which names the output size in pixels.
RATIOS: dict[tuple[str, str], str] = {
    ("16:9", "720p"): "1280:720",
    ("9:16", "720p"): "720:1280",
    ("4:3", "720p"): "1104:832",
    ("3:4", "720p"): "832:1104",
    ("1:1", "720p"): "960:960",
    ("21:9", "720p"): "1584:672",
    ("16:9", "1080p"): "1920:1080",
    ("9:16", "1080p"): "1080:1920",
}
# What each model accepts, read from runwayml 5.24's create() overloads. gen4.5 takes four
# more ratios with a first frame than without; only the two that always work are declared.
_SIZES: dict[str, Capabilities] = {
    "gen4.5": Capabilities(durations=WHOLE_2_TO_10, image_input=True),
    "gen4_turbo": Capabilities(
        durations=WHOLE_2_TO_10,
        aspects=("16:9", "9:16", "4:3", "3:4", "1:1", "21:9"),
        image_input=True,
    ),
    "veo3.1": Capabilities(
        durations=(4.0, 6.0, 8.0), resolutions=("720p", "1080p"), image_input=True, audio=True
    ),
    "veo3.1_fast": Capabilities(
        durations=(4.0, 6.0, 8.0), resolutions=("720p", "1080p"), image_input=True, audio=True
    ),
    **EXTEND_SIZES,  # text to video, and extend through video_to_video
}
# What each model does beyond sizes (audio, references...) comes from the model table.
CAPABILITIES: dict[str, Capabilities] = {
    m: with_features("runway", m, c) for m, c in _SIZES.items()
}
IMAGE_ONLY = {"gen4_turbo"}  # image_to_video only: no text-to-video endpoint
NEGATIVE_PROMPT = {"veo3.1", "veo3.1_fast"}


class RunwayBackend(ProviderBackend):
    """Runway's generation API: create a task, poll it, download its output at once."""

    name: ClassVar[str] = "runway"
    default_model: ClassVar[str] = "gen4.5"
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "credits at $0.01 (gen4.5 12/s, gen4_turbo 5/s, veo3.1 <=40/s, veo3.1_fast <=15/s);"
        " the cost Runway reports is recorded"
    )
    connection = Connection(
        "RUNWAYML_API_SECRET", BASE_URL_ENV, "https://api.dev.runwayml.com", "runwayml"
    )

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        # The most each task may charge, as Runway estimated it (see task_status).
        self._estimates: dict[str, float] = {}

    # -- mapping -------------------------------------------------------------------------

    def create_args(self, request: TakeRequest) -> tuple[str, dict[str, Any]]:
        """The endpoint (`text_to_video` or `image_to_video`) and the SDK arguments for it."""
        self.check_request(request)
        model = request.model
        ratio = RATIOS.get((request.aspect, request.resolution))
        has_image = request.image_path is not None
        if ratio is None:
            raise UsageError(
                f"runway:{model} has no {request.aspect} output at {request.resolution}",
                hint="16:9 and 9:16 exist at every resolution the model allows",
            )
        if model in IMAGE_ONLY and not has_image:
            raise UsageError(
                f"runway:{model} makes video from a first frame only",
                hint="give the variant an `image:`, or use runway:gen4.5 for text to video",
            )
        if len(request.prompt.encode("utf-16-le")) // 2 > PROMPT_LIMIT:
            raise UsageError(f"runway takes prompts of at most {PROMPT_LIMIT} characters")
        if not 0 <= request.seed <= SEED_MAX:
            raise UsageError(f"runway takes seeds from 0 to {SEED_MAX}, got {request.seed}")
        if request.extend:
            return extend_args(request)
        args: dict[str, Any] = {
            "model": model,
            "prompt_text": request.prompt,
            "ratio": ratio,
            "duration": round(request.duration_s),
        }
        if model not in NO_SEED:
            args["seed"] = request.seed
        if request.negative:
            if model in NEGATIVE_PROMPT:
                args["negative_prompt"] = request.negative
            else:
                log.warning("runway:%s takes no negative prompt; it is not sent", model)
        if request.end_image_path:
            # Keyframes (veo3.1 models): a list of images placed first and last.
            frames = [{"uri": _data_uri(request.end_image_path), "position": "last"}]
            if has_image:
                first = _data_uri(request.image_path or "")
                frames.insert(0, {"uri": first, "position": "first"})
            args["prompt_image"] = frames
            return "image_to_video", args
        if not has_image:
            return "text_to_video", args
        args["prompt_image"] = _data_uri(request.image_path or "")
        return "image_to_video", args

    # -- the four calls ------------------------------------------------------------------

    def client(self) -> RunwayML:
        """The SDK client (see `sdk_client`): no retries of its own."""
        self.sdk()
        from runwayml import RunwayML

        return self.sdk_client(RunwayML)

    def submit(self, request: TakeRequest) -> str:
        try:
            endpoint, args = self.create_args(request)
            client = self.client()
        except OSError as exc:  # the image could not be read: nothing was sent
            # (a TakelabError from here needs no wrapping: the runner books it as not sent)
            raise self.not_sent(exc) from exc
        resource = getattr(client, endpoint)  # text_to_video, image_to_video, video_to_video
        task = self.create_once(lambda: resource.create(**args), request.model)
        estimate = credits_usd(task.to_dict().get("estimatedCost"))
        if estimate is not None:
            self._estimates[task.id] = estimate
        return str(task.id)

    def retrieve(self, job_id: str) -> dict[str, Any]:
        """The task as Runway reports it now, as JSON with Runway's names. JSON rather than
        the SDK's model: a task missing a field the SDK requires (an older API version's
        terminal task without `cost`) is parsed as a `Pending`."""
        client = self.client()
        task = self.retrying(lambda: client.tasks.retrieve(job_id), f"poll task {job_id}")
        return task.to_dict(mode="json")

    def poll(self, job_id: str) -> JobStatus:
        task = self.retrieve(job_id)
        estimate = credits_usd(task.get("estimatedCost"))
        if estimate is not None:
            self._estimates[job_id] = estimate
        return task_status(task, estimate_usd=self._estimates.get(job_id))

    def fetch(self, job_id: str, dest: Path) -> Path:
        task = self.retrieve(job_id)  # output URLs expire: take fresh ones, download at once
        output = task.get("output")
        if task.get("status") != "SUCCEEDED" or not isinstance(output, list) or not output:
            raise BackendError(self.name, f"task {job_id} has no output ({task.get('status')})")
        return self.download(str(output[0]), dest)  # a signed URL: sent without the key

    def cancel(self, job_id: str) -> None:
        """Cancel a pending or running task (Runway refunds only tasks not yet running)."""
        client = self.client()
        self.retrying(lambda: client.tasks.delete(job_id), f"cancel task {job_id}")


def _data_uri(path: str) -> str:
    """A first or last frame as the base64 data URI Runway accepts (up to 5 MB)."""
    return image_data_uri(Path(path), "runway", limit=DATA_URI_LIMIT)


def credits_usd(cost: Any) -> float | None:
    """USD from a Runway cost object (`cost` or `estimatedCost`), None if it is missing."""
    credits = cost.get("credits") if isinstance(cost, dict) else None
    return round(credits * USD_PER_CREDIT, 6) if isinstance(credits, int | float) else None


def is_moderation(code: str | None) -> bool:
    """Runway's moderation codes: SAFETY.INPUT.*, SAFETY.OUTPUT.*, INPUT_PREPROCESSING.SAFETY.*."""
    return "SAFETY" in (code or "").upper().split(".")[:2]


def task_status(task: dict[str, Any], *, estimate_usd: float | None = None) -> JobStatus:
    """Runway's task states onto JobState, with the cost Runway reports for terminal ones.

    A moderation failure is charged; if its cost is not reported, the estimate is used.
    """
    status = task.get("status")
    if status in ("PENDING", "THROTTLED"):
        return JobStatus(state=JobState.QUEUED, progress=0.0, cost_usd=None)
    if status == "RUNNING":
        progress = min(1.0, max(0.0, float(task.get("progress") or 0.0)))
        return JobStatus(state=JobState.RUNNING, progress=progress, cost_usd=None)
    cost = credits_usd(task.get("cost"))
    if status == "SUCCEEDED":
        return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=cost)
    if status == "FAILED":
        code = str(task.get("failureCode") or "FAILED")
        blocked = is_moderation(code)
        return JobStatus(
            state=JobState.BLOCKED if blocked else JobState.FAILED,
            progress=None,
            error_code=code,
            error_message=str(task.get("failure") or "the task failed"),
            cost_usd=cost if cost is not None or not blocked else estimate_usd,
        )
    if status == "CANCELLED":
        return JobStatus(
            state=JobState.FAILED,
            progress=None,
            error_code="CANCELLED",
            error_message="the task was cancelled or deleted at Runway",
            cost_usd=cost,
        )
    # A status this code does not know: keep polling; the deadline leaves the take resumable.
    log.warning("runway task %s has an unknown status %r", task.get("id"), status)
    return JobStatus(state=JobState.RUNNING, progress=None, cost_usd=None)
