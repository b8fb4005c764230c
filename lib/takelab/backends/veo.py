"""Google Veo through the official `google-genai` SDK.

google-genai 3.6 generates videos only in Vertex AI mode (the SDK's "Gemini Enterprise
Agent Platform"): in Gemini Developer API mode `models.generate_videos` raises before
sending anything. So this backend runs the client with `vertexai=True` and an API key
(Vertex AI express mode), which the SDK sends as `x-goog-api-key`:

- create: POST `v1beta1/publishers/google/models/{model}:predictLongRunning` with
  `instances[0]` (prompt, first-frame image as base64) and `parameters`; the reply is a
  long-running operation whose `name` is the job id;
- poll: POST `v1beta1/{model resource}:fetchPredictOperation` with the operation name,
  until `done` (read in _veo_status.py).

The key comes from GEMINI_API_KEY, else GOOGLE_API_KEY (both read by the SDK too), and
must be a Google Cloud API key allowed to use Vertex AI. The SDK reads a base URL
override from GOOGLE_VERTEX_BASE_URL.

Vertex AI offers no way to list video operations (the SDK has no such call), so an
uncertain take cannot be matched to its job here: there is no `reconcile`; look in the
Cloud console before rerunning it.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import Connection, ProviderBackend
from takelab.backends._veo_status import first_video, job_status
from takelab.backends.models import with_features
from takelab.errors import (
    BackendError,
    MissingKeyError,
    TakelabError,
    UnusableOutputError,
)
from takelab.secrets import get_secret

if TYPE_CHECKING:
    from google.genai import Client
    from google.genai.types import GenerateVideosConfig, GenerateVideosOperation, Image

# Veo 3.x: 4, 6 or 8 s, 720p or 1080p, with audio. Veo 2: 5-8 s at 720p, silent.
_VEO3 = Capabilities(
    durations=(4.0, 6.0, 8.0), resolutions=("720p", "1080p"), image_input=True, audio=True
)
_VEO2 = Capabilities(durations=(5.0, 6.0, 7.0, 8.0), image_input=True)
# Retired ids stay listed so a project naming one gets the replacement, not "unknown".
_VEO3_IDS = (
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-lite-generate-preview",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
)
_SIZES = {**dict.fromkeys(_VEO3_IDS, _VEO3), "veo-2.0-generate-001": _VEO2}
# What each model does beyond sizes (audio, references, last frame, extend): the table.
CAPABILITIES = {m: with_features("veo", m, c) for m, c in _SIZES.items()}
BASE_URL_ENV = "GOOGLE_VERTEX_BASE_URL"
VERTEX_URL = "https://aiplatform.googleapis.com"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
DEFAULT_LOCATION = "us-central1"


class VeoBackend(ProviderBackend):
    """Veo on Vertex AI (express mode, API key). No reconcile: Vertex cannot list jobs."""

    name: ClassVar[str] = "veo"
    default_model: ClassVar[str] = "veo-3.1-fast-generate-001"
    prompt_style: ClassVar[str] = "veo"
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "$0.15-0.40/s by model (3rd-party prices, 2026); videos withheld by safety filters"
        " are not charged"
    )
    connection = Connection(
        "GEMINI_API_KEY", BASE_URL_ENV, VERTEX_URL, "google.genai", "google-genai"
    )
    fallback_key_env: ClassVar[str | None] = "GOOGLE_API_KEY"
    poll_interval_s: ClassVar[float] = 10.0
    deadline_s: ClassVar[float] = 1200.0
    timeout_s: ClassVar[float] = 120.0  # per HTTP call; finished polls carry the video

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        # A finished operation carries the video inline: kept from poll so fetch does
        # not transfer it a second time.
        self._finished: dict[str, GenerateVideosOperation] = {}
        self._lock = threading.Lock()

    # -- the request ---------------------------------------------------------------------

    def video_config(self, request: TakeRequest) -> GenerateVideosConfig:
        """The SDK config for a take; raises UsageError for settings the model refuses."""
        from google.genai import types

        caps = self.check_request(request)
        return types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=int(request.duration_s),
            aspect_ratio=request.aspect,
            # Veo 2 has one resolution and no resolution parameter.
            resolution=request.resolution if len(caps.resolutions) > 1 else None,
            seed=request.seed,
            negative_prompt=request.negative or None,
            # Sound is on by default where the model makes it; `audio: false` turns it off.
            generate_audio=(request.audio is not False) if caps.audio else None,
            last_frame=_image(request.end_image_path),
            reference_images=[
                types.VideoGenerationReferenceImage(
                    image=_image(path),
                    # Veo 3.1 takes asset images; a character is an asset to keep.
                    reference_type=types.VideoGenerationReferenceType.STYLE
                    if role == "style"
                    else types.VideoGenerationReferenceType.ASSET,
                )
                for path, role in zip(request.reference_paths, request.reference_roles, strict=True)
            ]
            or None,
            # The create call is never retried by the SDK: a retry could bill twice.
            http_options=types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1)),
        )

    def route(self) -> tuple[str, dict[str, str]]:
        """How to reach Veo: `key` (express mode, GEMINI_API_KEY / GOOGLE_API_KEY) or
        `project` (GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION, with the machine's
        Google credentials), both through Agent Platform (`vertexai=True`): google-genai
        3.6 generates videos only there."""
        try:
            return "key", {"api_key": self.key()}
        except MissingKeyError:
            pass
        project = get_secret(PROJECT_ENV)
        if project:
            location = get_secret(LOCATION_ENV) or DEFAULT_LOCATION
            return "project", {"project": project, "location": location}
        raise MissingKeyError(self.name, self.key_env)

    def check_ready(self) -> None:
        self.sdk()
        self.route()

    def _client(self) -> Client:
        self.sdk()
        from google import genai
        from google.genai import types

        _, args = self.route()
        found = self.base_url_override()
        return self.shared_client(
            lambda: genai.Client(
                vertexai=True,
                http_options=types.HttpOptions(
                    timeout=int(self.timeout_s * 1000),
                    base_url=found.url if found else None,
                ),
                **args,  # type: ignore[arg-type]
            )
        )

    # -- the four calls ------------------------------------------------------------------

    def submit(self, request: TakeRequest) -> str:
        try:
            self.sdk()
            from google.genai import types

            config = self.video_config(request)
            video = None
            if request.extend_path:  # continue the parent take's clip
                video = types.Video(
                    video_bytes=Path(request.extend_path).read_bytes(), mime_type="video/mp4"
                )
            source = types.GenerateVideosSource(
                prompt=request.prompt, image=_image(request.image_path), video=video
            )
            client = self._client()
        except (TakelabError, OSError, ValueError) as exc:
            raise self.not_sent(exc) from exc
        operation = self.create_once(
            lambda: client.models.generate_videos(
                model=request.model, source=source, config=config
            ),
            request.model,
        )
        return self.returned_id(operation.name, "operation name")

    def _operation(self, job_id: str) -> GenerateVideosOperation:
        from google.genai import types

        client = self._client()
        return self.retrying(
            lambda: client.operations.get(
                types.GenerateVideosOperation.model_validate({"name": job_id})
            ),
            f"poll {job_id.rsplit('/', 1)[-1]}",
        )

    def poll(self, job_id: str) -> JobStatus:
        operation = self._operation(job_id)
        status = job_status(operation)
        if status.state is JobState.SUCCEEDED:
            with self._lock:
                self._finished[job_id] = operation
        return status

    def fetch(self, job_id: str, dest: Path) -> Path:
        with self._lock:
            operation = self._finished.pop(job_id, None)
        if operation is None:
            operation = self._operation(job_id)
        video = first_video(operation)
        if video is None:
            raise BackendError(self.name, f"operation {job_id} has no video to fetch")
        if video.video_bytes:
            return self.write_stream([video.video_bytes], dest)
        if video.uri and video.uri.startswith(("https://", "http://")):
            return self.download(video.uri, dest)
        # Settled as failed with the reason, never left pending for every rerun.
        raise UnusableOutputError(
            self.name,
            f"the video is stored at {video.uri!r}, which takelab cannot read (leave"
            " output_gcs_uri unset so Vertex AI returns the video inline)",
        )


def _image(path: str | None) -> Image | None:
    """An image file as the SDK's inline Image (first, last or reference frame)."""
    if not path:
        return None
    from google.genai import types

    mime = mimetypes.guess_type(path)[0] or "image/png"
    return types.Image(image_bytes=Path(path).read_bytes(), mime_type=mime)
