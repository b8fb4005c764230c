"""The Backend base: four calls that let a sweep run, resume and account for any generator."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from takelab.status import TakeStatus

TAKE_ID_FIELDS = (
    "prompt",
    "negative",
    "backend",
    "model",
    "duration_s",
    "aspect",
    "resolution",
    "seed",
    "image_sha256",
)
# Fields added with the sound-and-references shot model: part of the id only when set, so
# a request that does not use them keeps the id it always had (a journal from before
# would otherwise see a new take and pay for it again).
TAKE_ID_OPTIONAL_FIELDS = (
    "audio",
    "end_image_sha256",
    "reference_sha256",
    "reference_roles",
    "extend",
    "beats",
)
LOCAL_PATH_FIELDS = {"image_path", "end_image_path", "reference_paths", "extend_path", "fields"}


class TakeRequest(BaseModel):
    """One take, fully specified: a variant rendered for one backend, settings and a seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str
    shot: str
    variant: str
    prompt: str
    negative: str | None = None
    backend: str
    model: str
    duration_s: float
    aspect: str
    resolution: str
    seed: int
    image_sha256: str | None = None
    image_path: str | None = Field(None, description="local first-frame file; not part of the id")
    audio: bool | None = Field(
        default=None, description="ask for sound; None: the backend's default"
    )
    end_image_sha256: str | None = None
    end_image_path: str | None = Field(default=None, description="local last-frame file")
    reference_sha256: tuple[str, ...] = ()
    reference_roles: tuple[str, ...] = Field(
        default=(), description="character, style, asset or ''"
    )
    reference_paths: tuple[str, ...] = Field(default=(), description="local reference files")
    extend: str | None = Field(default=None, description="take id of the clip this one continues")
    extend_path: str | None = Field(default=None, description="local file of the extended take")
    extend_job: str | None = Field(
        default=None,
        description="the extended take's provider job as `backend:job_id` (backends that "
        "continue a clip by the provider's own id); follows from `extend`, so not in the id",
    )
    beats: tuple[tuple[float, str], ...] = Field(
        default=(), description="timed beats (seconds, text), for multi-shot backends"
    )
    variant_hash: str = ""
    fields: dict[str, str] = Field(
        default_factory=dict, description="structured fields, for renderers that draw them"
    )

    @property
    def take_id(self) -> str:
        """Content hash of exactly what is sent: the same request always has the same id."""
        data: dict[str, object] = {k: getattr(self, k) for k in TAKE_ID_FIELDS}
        for k in TAKE_ID_OPTIONAL_FIELDS:
            value = getattr(self, k)
            if value is not None and value != ():
                data[k] = value
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def backend_spec(self) -> str:
        return f"{self.backend}:{self.model}"

    def sent(self) -> dict[str, object]:
        """What goes to the provider, as recorded in request.json (no local paths, no keys)."""
        data = self.model_dump(exclude=LOCAL_PATH_FIELDS)
        data["take_id"] = self.take_id
        return data


class Capabilities(BaseModel):
    """What a backend (one model) accepts."""

    model_config = ConfigDict(frozen=True)

    durations: tuple[float, ...] | None = Field(
        None, description="allowed durations in seconds; None means any in [min, max]"
    )
    min_duration_s: float = 1.0
    max_duration_s: float = 10.0
    aspects: tuple[str, ...] = ("16:9", "9:16")
    resolutions: tuple[str, ...] = ("720p",)
    seed: bool = True
    image_input: bool = False
    image_required: bool = False  # an image-to-video model: no take without a first frame
    audio: bool = False  # makes sound with the picture
    dialogue: bool = False  # speaks quoted lines (lip-synced)
    max_references: int = 0  # reference images (character, style, asset)
    reference_roles: tuple[str, ...] = ("character", "style", "asset")
    end_frame: bool = False  # a last frame to end on (first and last frame)
    end_frame_alone: bool = False  # a last frame without a first one
    extend: bool = False  # continues an existing clip
    multi_shot: bool = False  # several timed shots in one generation
    # Durations the model makes from text alone: no first or last frame, no extend.
    text_only_durations: tuple[float, ...] = ()

    def allows_duration(self, seconds: float) -> bool:
        if self.durations is not None:
            return any(abs(seconds - d) < 1e-6 for d in self.durations)
        return self.min_duration_s - 1e-6 <= seconds <= self.max_duration_s + 1e-6

    def describe_durations(self) -> str:
        if self.durations is not None:
            return ", ".join(f"{d:g}" for d in self.durations) + " s"
        return f"{self.min_duration_s:g}-{self.max_duration_s:g} s"

    def problems(self, request: TakeRequest) -> list[str]:
        """Why this request cannot run on the backend, one sentence per setting."""
        out: list[str] = []
        if not self.allows_duration(request.duration_s):
            out.append(
                f"duration {request.duration_s:g} s is not allowed "
                f"(allowed: {self.describe_durations()})"
            )
        if request.aspect not in self.aspects:
            out.append(
                f"aspect {request.aspect} is not allowed (allowed: {', '.join(self.aspects)})"
            )
        if request.resolution not in self.resolutions:
            out.append(
                f"resolution {request.resolution} is not allowed "
                f"(allowed: {', '.join(self.resolutions)})"
            )
        if request.image_sha256 and not self.image_input:
            out.append("a first-frame image is not accepted by this model")
        if self.image_required and not request.image_sha256:
            out.append("this model needs a first-frame image (add `image:` to the variant)")
        if request.audio and not self.audio:
            out.append("sound (audio: true) is not generated by this model")
        if len(request.reference_sha256) > self.max_references:
            out.append(
                f"{len(request.reference_sha256)} reference images; this model takes "
                f"{self.max_references}"
            )
        if request.end_image_sha256 and not self.end_frame:
            out.append("a last frame (end_image) is not accepted by this model")
        if request.extend and not self.extend:
            out.append("extending a take (extend) is not supported by this model")
        if any(abs(request.duration_s - d) < 1e-6 for d in self.text_only_durations) and (
            request.image_sha256 or request.end_image_sha256 or request.extend
        ):
            shorter = [d for d in self.durations or () if d not in self.text_only_durations]
            out.append(
                f"duration {request.duration_s:g} s is text to video only on this model; "
                "a first or last frame or extend needs "
                + (" or ".join(f"{d:g}" for d in shorter) + " s" if shorter else "another model")
            )
        return out

    def words(self) -> list[str]:
        """What the model can do, as words for a table: 'audio', 'dialogue', '3 refs'..."""
        out = []
        if self.image_input:
            out.append("image-only" if self.image_required else "first frame")
        out += feature_words(self)
        return [*out, "seed"] if self.seed else out


def feature_words(f: Any, *, roles: bool = False) -> list[str]:
    """What a model does beyond sizes (Capabilities or the model table's Features), as
    words: 'audio', 'dialogue', '3 refs', 'last frame', 'extend', 'multi-shot'."""
    refs = f"{f.max_references} refs" if f.max_references else None
    if refs and roles:
        refs += f" ({'/'.join(f.reference_roles)})"
    named = (
        (f.audio, "audio"),
        (f.dialogue, "dialogue"),
        (refs, refs),
        (f.end_frame, "last frame"),
        (f.extend, "extend"),
        (f.multi_shot, "multi-shot"),
    )
    return [str(word) for on, word in named if on]


# A provider job's states are TakeStatus values (queued, running, succeeded, failed, blocked).
JobState = TakeStatus


class JobStatus(BaseModel):
    """A provider job as last seen."""

    state: JobState
    progress: float | None = Field(None, ge=0.0, le=1.0)
    error_code: str | None = None
    error_message: str | None = None
    cost_usd: float | None = Field(None, description="what the provider says it charged")

    @classmethod
    def ended(
        cls, code: str, message: str, *, blocked: bool = False, cost_usd: float | None = None
    ) -> JobStatus:
        """A job that ended without a video: failed, or blocked by moderation."""
        state = JobState.BLOCKED if blocked else JobState.FAILED
        return cls(
            state=state, progress=None, error_code=code, error_message=message, cost_usd=cost_usd
        )


class Backend(ABC):
    """An adapter to one generator. Only `submit` may cost money."""

    name: ClassVar[str]
    default_model: ClassVar[str]
    models: ClassVar[tuple[str, ...]] = ()
    price_note: ClassVar[str] = ""  # one line for `takelab backends`
    lists_jobs: ClassVar[bool] = False  # find_jobs sees every job of the account
    poll_interval_s: ClassVar[float] = 5.0
    deadline_s: ClassVar[float] = 1800.0
    # A local backend generates inside the calling process (no provider, no job to
    # resume elsewhere); distributed sweeps run its whole take on one worker.
    runs_locally: ClassVar[bool] = False
    # The provider's published prompt structure (shots.PromptStyle): "plain", "veo", "openai".
    prompt_style: ClassVar[str] = "plain"

    def gpus_per_take(self) -> float:
        """GPUs one take needs on a worker (Ray's num_gpus); 0 for provider backends."""
        return 0.0

    def __init__(self, model: str | None = None) -> None:
        self.model = model or self.default_model

    @property
    def spec(self) -> str:
        return f"{self.name}:{self.model}"

    @abstractmethod
    def capabilities(self) -> Capabilities:
        """Durations, aspects, resolutions, seed, image input and audio of this model."""

    @abstractmethod
    def price(self, request: TakeRequest) -> float:
        """USD for this request, worst case, before submitting."""

    @abstractmethod
    def submit(self, request: TakeRequest) -> str:
        """Start the job and return the provider's job id; the only call that can cost money.

        Raise `SubmitError` when the create call fails (saying whether it may have reached
        the provider); any other `TakelabError` means nothing was sent. Anything else is
        treated as "may have reached the provider" and the take becomes uncertain.
        """

    @abstractmethod
    def poll(self, job_id: str) -> JobStatus:
        """The job's state, progress and error."""

    @abstractmethod
    def fetch(self, job_id: str, dest: Path) -> Path:
        """Download the finished video to `dest` and return it."""

    def find_jobs(self, request: TakeRequest, *, since: float | None = None) -> list[str]:
        """Job ids at the provider that match what `request` sends, created after `since`
        (Unix time), newest first; only backends with `lists_jobs` can answer."""
        return []

    def discard(self, request: TakeRequest) -> None:
        """Remove partial output a killed attempt at `request` left on this machine, before
        a local backend runs it again; provider backends keep nothing locally."""
        return None

    def check_ready(self) -> None:
        """Raise before anything is submitted if the backend cannot run (key, SDK)."""
        return None

    def serves_retired(self) -> bool:
        """Whether this backend may still run a model its provider retired (a gateway that
        keeps serving it); False for a provider's own API."""
        return False
