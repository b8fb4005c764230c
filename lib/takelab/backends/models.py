"""The model table: every model a backend can name, with its lifecycle (ga, preview,
deprecated, retired), shutdown date, replacement and what it can do beyond durations and
sizes (audio, dialogue, references, last frame, extend, multi-shot), each with a source
and the date it was checked. Prices live beside it in `prices.py` under the same key;
`model_rows()` joins the two for `takelab backends`.

What a retired or deprecated model means for a take is in `lifecycle.py`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from takelab.backends._base import Capabilities


class Status(StrEnum):
    GA = "ga"
    PREVIEW = "preview"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


@dataclass(frozen=True)
class Features:
    """What a model does beyond durations and sizes (those stay with each backend's
    wire mapping, which must send exactly what it declares)."""

    audio: bool = False
    dialogue: bool = False
    max_references: int = 0
    reference_roles: tuple[str, ...] = ("character", "style", "asset")
    end_frame: bool = False
    end_frame_alone: bool = False  # a last frame without a first one
    extend: bool = False
    multi_shot: bool = False


@dataclass(frozen=True)
class ModelInfo:
    backend: str
    model: str
    status: Status
    features: Features
    source: str
    date: str
    shutdown: str | None = None
    replacement: str | None = None
    instead: str | None = None  # what to do where no replacement is named

    @property
    def spec(self) -> str:
        return f"{self.backend}:{self.model}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.backend, self.model)


GOOGLE_DEPRECATIONS = "Google's Gemini API deprecations page and Agent Platform model pages"
VEO31 = Features(
    audio=True,
    dialogue=True,
    max_references=3,
    reference_roles=("character", "asset"),  # Veo 3.1 takes asset images, not style ones
    end_frame=True,
    extend=True,
)
KLING3 = Features(audio=True, dialogue=True, multi_shot=True)
KLING3_I2V = Features(audio=True, dialogue=True, multi_shot=True, end_frame=True)
FAL_KLING3 = "fal.ai model pages for fal-ai/kling-video/v3 (schema and pricing)"
SILENT = Features()
SPEAKS = Features(audio=True, dialogue=True)
RUNWAY = "runwayml 5.24 SDK create() overloads; Runway API reference"
RUNWAY_VEO = Features(audio=True, dialogue=True, end_frame=True)

_ROWS: tuple[ModelInfo, ...] = (
    # The offline animatic draws every input, so a project can be tried before money.
    ModelInfo(
        "previz",
        "animatic",
        Status.GA,
        Features(
            audio=True,
            dialogue=True,
            max_references=9,
            end_frame=True,
            end_frame_alone=True,
            extend=True,
            multi_shot=True,
        ),
        "built in",
        "2026",
    ),
    # Google Veo (google-genai, Agent Platform / Vertex AI).
    ModelInfo("veo", "veo-3.1-generate-001", Status.GA, VEO31, GOOGLE_DEPRECATIONS, "2026-12-06"),
    ModelInfo(
        "veo", "veo-3.1-fast-generate-001", Status.GA, VEO31, GOOGLE_DEPRECATIONS, "2026-12-06"
    ),
    *(
        ModelInfo(
            "veo",
            model,
            Status.RETIRED,
            features,
            GOOGLE_DEPRECATIONS,
            "2026-12-06",
            shutdown=shutdown,
            replacement=f"veo:{replacement}",
        )
        for model, features, shutdown, replacement in (
            ("veo-3.1-generate-preview", VEO31, "2026-10-22", "veo-3.1-generate-001"),
            ("veo-3.1-fast-generate-preview", VEO31, "2026-10-22", "veo-3.1-fast-generate-001"),
            ("veo-3.1-lite-generate-preview", VEO31, "2026-10-22", "veo-3.1-fast-generate-001"),
            ("veo-3.0-generate-001", SPEAKS, "2026-06-30", "veo-3.1-generate-001"),
            ("veo-3.0-fast-generate-001", SPEAKS, "2026-06-30", "veo-3.1-fast-generate-001"),
        )
    ),
    ModelInfo(
        "veo",
        "veo-2.0-generate-001",
        Status.GA,
        SILENT,
        "Agent Platform model page (no shutdown announced as of the check)",
        "2026-12-06",
    ),
    # fal: Kling 3.0 with sound and multi-shot, and the older silent apps.
    *(
        ModelInfo(
            "fal",
            f"fal-ai/kling-video/v3/{tier}/{kind}",
            Status.GA,
            KLING3 if kind == "text-to-video" else KLING3_I2V,
            FAL_KLING3,
            "2026-12",
        )
        for tier in ("standard", "pro")
        for kind in ("text-to-video", "image-to-video")
    ),
    # Older apps fal still serves (no shutdown announced, checked 2026-12-07); where fal
    # lists a successor, `replacement` names the mapped one or `instead` the unmapped one.
    ModelInfo(
        "fal",
        "fal-ai/kling-video/v2/master/text-to-video",
        Status.GA,
        SILENT,
        "fal.ai model page; superseded by Kling 3.0 (fal's default here since 2026-12-07)",
        "2026-12-07",
        replacement="fal:fal-ai/kling-video/v3/standard/text-to-video",
    ),
    *(
        ModelInfo("fal", model, Status.GA, SILENT, "fal.ai model pages", "2026")
        for model in ("fal-ai/pika/v2.5/text-to-video", "fal-ai/wan/v2.7/text-to-video")
    ),
    ModelInfo(
        "fal",
        "fal-ai/hunyuan-video",
        Status.GA,
        SILENT,
        "fal.ai/models/fal-ai/hunyuan-video/llms.txt ($0.40 a video)",
        "2026-12-07",
        instead="fal lists fal-ai/hunyuan-video-v1.5/text-to-video ($0.075/s) as Tencent's"
        " latest; not mapped here yet",
    ),
    ModelInfo(
        "fal",
        "fal-ai/ltx-video",
        Status.GA,
        SILENT,
        "fal.ai model pages",
        "2026-12-07",
        instead="LTX-2 (fal-ai/ltx-2/text-to-video, with sound) is LTX's current model;"
        " not mapped here yet",
    ),
    ModelInfo(
        "replicate",
        "kwaivgi/kling-v2.1-master",
        Status.GA,
        SILENT,
        "Replicate model page; Replicate also serves kwaivgi/kling-v3-video (3-15 s, sound,"
        " first and last frame, multi-shot; version 4a8ba274, 2026-02-26), not mapped here:"
        " no Replicate price for it could be cited",
        "2026-12-07",
    ),
    # Runway: Veo through Runway makes sound; its own Gen-4 models are silent.
    ModelInfo("runway", "gen4.5", Status.GA, SILENT, RUNWAY, "2026-04"),
    ModelInfo("runway", "gen4_turbo", Status.GA, SILENT, RUNWAY, "2026-04"),
    # image_to_video's prompt_image takes a list placed `first` / `last` for these two.
    ModelInfo("runway", "veo3.1", Status.GA, RUNWAY_VEO, RUNWAY, "2026-04"),
    ModelInfo("runway", "veo3.1_fast", Status.GA, RUNWAY_VEO, RUNWAY, "2026-04"),
    # Extends a clip through video_to_video (mode "extend"); see runway_extend.py.
    ModelInfo(
        "runway", "gemini_omni_flash_1.1", Status.GA, Features(extend=True), RUNWAY, "2026-12-07"
    ),
    # Luma Dream Machine API (lumaai 1.21 knows ray-2 and ray-flash-2).
    ModelInfo("luma", "ray-2", Status.GA, SILENT, "lumaai 1.21 SDK", "2026"),
    ModelInfo("luma", "ray-flash-2", Status.GA, SILENT, "lumaai 1.21 SDK", "2026"),
    # Luma Agents API (luma-agents 0.5): Ray 3.2 keyframes (first, last or both, from local
    # files sent inline) and extend by the parent generation's id; no sound.
    ModelInfo(
        "luma-agents",
        "ray-3.2",
        Status.GA,
        Features(end_frame=True, end_frame_alone=True, extend=True),
        "luma-agents 0.5.0 SDK (VideoOptionsParam); docs.agents.lumalabs.ai models guide",
        "2026-12-07",
    ),
    # OpenAI's Videos API closed; the adapter stays for gateways speaking /v1/videos.
    *(
        ModelInfo(
            "openai-videos",
            model,
            Status.RETIRED,
            SPEAKS,
            "OpenAI's Videos API shutdown notice",
            "2026-09",
            shutdown="2026-09-24",
            replacement=None,
            instead="set OPENAI_BASE_URL to a compatible gateway that still serves /v1/videos",
        )
        for model in ("sora-2", "sora-2-pro")
    ),
)
MODELS: dict[tuple[str, str], ModelInfo] = {(m.backend, m.model): m for m in _ROWS}


def model_info(backend: str, model: str) -> ModelInfo | None:
    """The table's row for a backend's model, or None for a model it does not list."""
    return MODELS.get((backend, model))


def with_features(backend: str, model: str, caps: Capabilities) -> Capabilities:
    """A backend's own capabilities (durations, sizes) with the table's features added."""
    info = model_info(backend, model)
    if info is None:
        return caps
    return caps.model_copy(update=dataclasses.asdict(info.features))
