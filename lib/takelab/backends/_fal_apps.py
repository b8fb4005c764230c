"""fal's video apps: what each accepts (durations, aspects, resolutions, seed, images,
sound, multi-shot) and the argument names its schema uses, from fal.ai/models/<app>; and
where fal's queue answers for a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from takelab.backends._base import Capabilities, TakeRequest
from takelab.backends.models import with_features
from takelab.errors import BackendError
from takelab.secrets import endpoint_url

QUEUE_URL_ENV = "TAKELAB_FAL_QUEUE_URL"

KLING = "fal-ai/kling-video/v2/master/text-to-video"
PIKA = "fal-ai/pika/v2.5/text-to-video"
WAN = "fal-ai/wan/v2.7/text-to-video"
HUNYUAN = "fal-ai/hunyuan-video"
LTX = "fal-ai/ltx-video"
KLING3 = "fal-ai/kling-video/v3/{tier}/{kind}"
KLING3_STANDARD = KLING3.format(tier="standard", kind="text-to-video")


@dataclass(frozen=True)
class Endpoint:
    """What one fal app accepts, and how a take's settings are written for it."""

    durations: Mapping[float, str | int | None]  # allowed seconds -> value sent (None: not sent)
    aspects: tuple[str, ...]
    resolutions: tuple[str, ...]
    duration_key: str = "duration"
    send_aspect: bool = True
    send_resolution: bool = True
    seed: bool = True
    negative: bool = True
    audio: bool = False  # sends generate_audio
    multi_prompt: bool = False  # beats go as multi_prompt shots instead of one prompt
    image_key: str | None = None  # first frame (a data URI); required when set
    end_image_key: str | None = None  # last frame (a data URI)

    def capabilities(self, model: str) -> Capabilities:
        seconds = tuple(sorted(self.durations))
        return with_features("fal", model, self._sizes(seconds))

    def _sizes(self, seconds: tuple[float, ...]) -> Capabilities:
        return Capabilities(
            durations=seconds,
            min_duration_s=seconds[0],
            max_duration_s=seconds[-1],
            aspects=self.aspects,
            resolutions=self.resolutions,
            seed=self.seed,
            image_input=self.image_key is not None,
            image_required=self.image_key is not None,
        )


# Argument names and values from each app's schema on fal.ai/models/<app> (2026), limited
# to the aspects and resolutions a project file can name (shots.ASPECTS, RESOLUTIONS). Wan
# v2.7 and LTX could not be checked against a live schema: Wan takes the common names
# (duration 2-15 s, aspect_ratio, resolution, seed, negative_prompt); LTX makes one clip of
# fixed length and size (about 5 s at 480p-class size; fal's samples are 768x512, nearer
# 3:2 than the 16:9 declared) and only prompt, seed and negative_prompt are sent.
ENDPOINTS: dict[str, Endpoint] = {
    KLING: Endpoint(
        {5.0: "5", 10.0: "10"},
        ("16:9", "9:16", "1:1"),
        ("720p",),
        send_resolution=False,
        seed=False,
    ),
    PIKA: Endpoint(
        {5.0: 5, 10.0: 10},
        ("16:9",),  # the v2.5 text-to-video schema has no aspect_ratio
        ("480p", "720p", "1080p"),
        send_aspect=False,
    ),
    WAN: Endpoint(
        {float(s): s for s in range(2, 16)},
        ("16:9", "9:16", "1:1", "4:3", "3:4"),
        ("720p", "1080p"),
    ),
    # Hunyuan takes a frame count: 129 frames is its ~5 s clip (5.4 s at 24 fps).
    HUNYUAN: Endpoint(
        {5.0: "129"},
        ("16:9", "9:16"),
        ("480p", "720p"),  # fal also has 580p, which projects cannot name
        duration_key="num_frames",
        negative=False,
    ),
    LTX: Endpoint({5.0: None}, ("16:9",), ("480p",), send_aspect=False, send_resolution=False),
    # Kling 3.0 (fal's v3 schema): 3-15 s as text, prompt or multi_prompt (not both),
    # generate_audio, negative_prompt; image-to-video takes start_image_url and an optional
    # end_image_url and no aspect ratio (the image sets it). Standard renders 720p, pro
    # 1080p; neither takes a seed or a resolution parameter.
    **{
        KLING3.format(tier=tier, kind=kind): Endpoint(
            {float(s): str(s) for s in range(3, 16)},
            ("16:9", "9:16", "1:1"),
            (resolution,),
            send_aspect=kind == "text-to-video",
            send_resolution=False,
            seed=False,
            audio=True,
            multi_prompt=True,
            image_key="start_image_url" if kind == "image-to-video" else None,
            end_image_key="end_image_url" if kind == "image-to-video" else None,
        )
        for tier, resolution in (("standard", "720p"), ("pro", "1080p"))
        for kind in ("text-to-video", "image-to-video")
    },
}


def multi_prompt(request: TakeRequest) -> list[dict[str, str]]:
    """Kling 3.0's multi-shot: one shot per beat, each as long as until the next beat (the
    last to the clip's end), whole seconds of at least 1 that add up to the clip; each
    shot's prompt is the variant's prompt with that beat leading."""
    beats = sorted(request.beats)
    total = round(request.duration_s)
    starts = [min(max(0, round(at)), total - 1) for at, _ in beats]
    shots = []
    for i, (_, text) in enumerate(beats):
        end = starts[i + 1] if i + 1 < len(beats) else total
        seconds = max(1, end - starts[i])
        shots.append({"prompt": f"{text}. {request.prompt}", "duration": str(seconds)})
    # Rounding can leave the shots a second off the clip; the last one takes up the slack.
    slack = total - sum(int(s["duration"]) for s in shots)
    shots[-1]["duration"] = str(max(1, int(shots[-1]["duration"]) + slack))
    return shots


def queue_url() -> str:
    """Base URL of fal's queue: TAKELAB_FAL_QUEUE_URL, else the SDK's (FAL_QUEUE_RUN_HOST)."""
    from fal_client.client import QUEUE_URL_FORMAT

    return (endpoint_url(QUEUE_URL_ENV) or QUEUE_URL_FORMAT).rstrip("/") + "/"


def split_job_id(job_id: str) -> tuple[str, str]:
    app, sep, request_id = job_id.rpartition("|")
    if not sep or not app or not request_id:
        raise BackendError("fal", f"malformed job id {job_id!r} (expected APP|REQUEST_ID)")
    return app, request_id


def request_url(job_id: str) -> str:
    """Where fal answers for one queued request, on our queue URL (`APP|REQUEST_ID`)."""
    from fal_client.client import AppId

    app, request_id = split_job_id(job_id)
    app_id = AppId.from_endpoint_id(app)
    prefix = f"{app_id.namespace}/" if app_id.namespace else ""
    return f"{queue_url()}{prefix}{app_id.owner}/{app_id.alias}/requests/{request_id}"
