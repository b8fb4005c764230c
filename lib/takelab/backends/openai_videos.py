"""openai-videos: any server speaking OpenAI's `/v1/videos` protocol, through the `openai` SDK.

OpenAI shut down its own Videos API and the Sora models on 2026-09-24; gateways still serve
the protocol, so the retired models run only when OPENAI_BASE_URL points at one. The
protocol reports no cost: a finished video costs the table price, a failed or moderated one
nothing. It has no seed, so the seed of a take names a repeat.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import IMAGE_TYPES, Connection, ProviderBackend
from takelab.backends.models import with_features
from takelab.errors import BackendError, UsageError

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)

BASE_URL_ENV = "OPENAI_BASE_URL"
OFFICIAL_URL = "https://api.openai.com/v1"
DURATIONS = (4.0, 8.0, 12.0)  # `seconds` is sent as the string "4", "8" or "12"
# (aspect, resolution) -> `size`; the 1024-wide sizes are sora-2-pro's, named 1080p here.
SIZES: dict[tuple[str, str], str] = {
    ("16:9", "720p"): "1280x720",
    ("9:16", "720p"): "720x1280",
    ("16:9", "1080p"): "1792x1024",
    ("9:16", "1080p"): "1024x1792",
}
_SORA = Capabilities(durations=DURATIONS, seed=False, image_input=True, audio=True)
# What each model does beyond sizes (audio, references...) comes from the model table.
CAPABILITIES = {
    "sora-2": with_features("openai-videos", "sora-2", _SORA),
    "sora-2-pro": with_features(
        "openai-videos", "sora-2-pro", _SORA.model_copy(update={"resolutions": ("720p", "1080p")})
    ),
}
MODERATION_WORDS = ("moderation", "content_policy", "content_filter", "safety")
RECONCILE_SKEW_S = 300.0  # clock difference allowed between this machine and the server
RECONCILE_LIMIT = 500  # listed jobs looked at, newest first


class OpenAIVideosBackend(ProviderBackend):
    """The `/v1/videos` protocol: create a video job, poll it, stream its content."""

    lists_jobs: ClassVar[bool] = True
    name: ClassVar[str] = "openai-videos"
    default_model: ClassVar[str] = "sora-2"
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "sora-2 $0.10/s, sora-2-pro $0.30-0.50/s (last OpenAI prices); retired 2026-09-24:"
        " needs a compatible gateway in OPENAI_BASE_URL"
    )
    connection = Connection("OPENAI_API_KEY", BASE_URL_ENV, OFFICIAL_URL, "openai")
    prompt_style: ClassVar[str] = "openai"

    def check_ready(self) -> None:
        self.check_served(self.model)
        super().check_ready()

    # -- where it runs -------------------------------------------------------------------

    def base_url(self) -> str:
        return self.api_url()

    def serves_retired(self) -> bool:
        return not self.on_openai()

    def on_openai(self) -> bool:
        """True when requests would go to OpenAI itself rather than a compatible gateway."""
        host = (urlsplit(self.base_url()).hostname or "").lower()
        return host == "openai.com" or host.endswith(".openai.com")

    def check_served(self, model: str) -> None:
        """Refuse a model OpenAI retired unless a gateway that may still serve it is set."""
        retired = self.retired(model)
        if retired and self.on_openai():
            raise BackendError(
                self.name,
                f"OpenAI retired {model} on {retired}; api.openai.com no longer serves it",
                hint=f"set {BASE_URL_ENV} to a compatible gateway that serves /v1/videos",
            )

    # -- mapping -------------------------------------------------------------------------

    def settings(self, request: TakeRequest) -> tuple[str, str]:
        """`seconds` and `size` for this request; UsageError naming what is allowed if none."""
        self.check_request(request)
        return f"{request.duration_s:g}", SIZES[(request.aspect, request.resolution)]

    def create_args(self, request: TakeRequest) -> dict[str, Any]:
        """The arguments of `client.videos.create` for this request."""
        seconds, size = self.settings(request)
        args: dict[str, Any] = {
            "prompt": request.prompt,
            "model": request.model,
            "seconds": seconds,
            "size": size,
        }
        if request.negative:
            log.warning("openai-videos takes no negative prompt; it is not sent")
        if request.image_path:
            path = Path(request.image_path)
            mime = IMAGE_TYPES.get(path.suffix.lower())
            if mime is None:
                raise UsageError(
                    f"openai-videos takes PNG, JPEG or WebP first frames, not {path.name}",
                    hint="convert the image; it should also match the output size " + size,
                )
            args["input_reference"] = (path.name, path.read_bytes(), mime)
        return args

    # -- the four calls ------------------------------------------------------------------

    def client(self) -> OpenAI:
        """The SDK client (see `sdk_client`): no retries of its own."""
        self.sdk()
        from openai import OpenAI

        return self.sdk_client(OpenAI)

    def submit(self, request: TakeRequest) -> str:
        try:
            self.check_served(request.model)
            args = self.create_args(request)
            client = self.client()
        except OSError as exc:  # the image could not be read: nothing was sent
            # (a TakelabError from here needs no wrapping: the runner books it as not sent)
            raise self.not_sent(exc) from exc
        video = self.create_once(lambda: client.videos.create(**args), request.model)
        return str(video.id)

    def retrieve(self, job_id: str) -> dict[str, Any]:
        """The video job as the server reports it now, as JSON: gateways may leave out
        fields the SDK's model requires."""
        client = self.client()
        video = self.retrying(lambda: client.videos.retrieve(job_id), f"poll video {job_id}")
        return video.to_dict(mode="json")

    def poll(self, job_id: str) -> JobStatus:
        return video_status(self.retrieve(job_id))

    def fetch(self, job_id: str, dest: Path) -> Path:
        client = self.client()

        def once() -> Path:
            stream = client.videos.with_streaming_response.download_content
            with stream(job_id, variant="video") as response:
                return self.write_stream(response.iter_bytes(1 << 20), dest)

        return self.retrying(once, f"download video {job_id}")

    def find_jobs(self, request: TakeRequest, *, since: float | None = None) -> list[str]:
        """Listed jobs that match what `request` sends (prompt, model, seconds, size),
        created after `since` (a Unix time), newest first."""
        seconds, size = self.settings(request)
        wanted = (request.prompt, request.model, seconds, size)
        matches: list[str] = []
        client = self.client()
        page = self.retrying(lambda: client.videos.list(order="desc", limit=100), "list")
        seen = 0
        while True:
            for item in page.data:
                video = item.to_dict(mode="json")
                created = video.get("created_at")
                if seen >= RECONCILE_LIMIT or (
                    since is not None
                    and isinstance(created, int | float)
                    and created < since - RECONCILE_SKEW_S
                ):
                    return matches
                seen += 1
                sent = tuple(str(video.get(k)) for k in ("prompt", "model", "seconds", "size"))
                if sent == wanted:
                    matches.append(str(video["id"]))
            if not page.has_next_page():
                return matches
            page = self.retrying(page.get_next_page, "list")


def is_moderation(code: str | None) -> bool:
    """Moderation refusals, by the words their codes use (e.g. `moderation_blocked`)."""
    lowered = (code or "").lower()
    return any(word in lowered for word in MODERATION_WORDS)


def video_status(video: dict[str, Any]) -> JobStatus:
    """The protocol's states onto JobState. Failed and moderated jobs are not charged."""
    status = video.get("status")
    progress = min(1.0, max(0.0, float(video.get("progress") or 0) / 100))
    if status == "queued":
        return JobStatus(state=JobState.QUEUED, progress=progress, cost_usd=None)
    if status == "completed":
        return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)
    if status == "failed":
        error = video.get("error")
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or "failed")
        return JobStatus(
            state=JobState.BLOCKED if is_moderation(code) else JobState.FAILED,
            progress=None,
            error_code=code,
            error_message=str(error.get("message") or "the video job failed"),
            cost_usd=0.0,
        )
    # in_progress, or a status a gateway added: keep polling (the deadline leaves it resumable)
    return JobStatus(state=JobState.RUNNING, progress=progress, cost_usd=None)
