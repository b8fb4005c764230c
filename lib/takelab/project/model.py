"""Project files: the model of `prompts/<project>.yaml`, loading with file:line errors,
rendering variants to prompt text and a stable variant hash."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from takelab.errors import PromptFileError
from takelab.project._prompt_layout import (
    PromptStyle,
    _sentence,
    compose_extras,
    render_fields,
    render_openai,
    render_veo,
)
from takelab.project.cut_model import Cut

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ASPECTS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
RESOLUTIONS: tuple[str, ...] = ("144p", "480p", "540p", "720p", "1080p", "4k")
STRUCTURED_FIELDS: tuple[str, ...] = (
    "subject",
    "secondary",
    "action",
    "camera",
    "lighting",
    "style",
)
SETTING_FIELDS: tuple[str, ...] = ("duration", "aspect", "resolution", "negative")
REFERENCE_ROLES: tuple[str, ...] = ("character", "style", "asset")

MAX_DURATION_S = 600.0

# Frame sizes for each resolution name at 16:9; other aspects keep the short side. 144p
# (256x144) is a thumbnail-sized draft, e.g. for a quick look from a local model.
SHORT_SIDE = {"144p": 144, "480p": 480, "540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}


class VariantSettings(BaseModel):
    """Fields a variant shares with the project defaults."""

    model_config = ConfigDict(extra="forbid")

    duration: float | None = Field(default=None, description="clip length in seconds")
    aspect: str | None = Field(default=None, description="aspect ratio, e.g. 16:9")
    resolution: str | None = Field(default=None, description="144p, 480p, 540p, 720p, 1080p or 4k")
    negative: str | None = Field(default=None, description="what the clip must not show")
    style: str | None = Field(default=None, description="look: film stock, lens, palette")
    audio: bool | None = Field(
        default=None, description="ask for sound with the picture (None: the backend's default)"
    )
    sound: str | None = Field(default=None, description="sound effects and ambience, as text")


class DialogueLine(BaseModel):
    """One spoken line: who says it, the words, and optionally when (seconds into the clip)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    speaker: str
    line: str
    at: float | None = None


class Reference(BaseModel):
    """An image that keeps a character, a look or an object consistent across shots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str = Field(description="path relative to the project file")
    role: Literal["character", "style", "asset"] | None = None


class Beat(BaseModel):
    """A timed moment within one clip: what happens at `at` seconds, and the camera then."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float
    action: str
    camera: str | None = None


class Variant(VariantSettings):
    """One version of a shot's prompt: free text, or structured fields rendered to text."""

    id: str
    prompt: str | None = None
    subject: str | None = None
    secondary: str | None = None
    action: str | None = None
    camera: str | None = None
    lighting: str | None = None
    image: str | None = Field(default=None, description="first frame, relative to the project file")
    end_image: str | None = Field(default=None, description="last frame, like image:")
    references: list[Reference] = Field(
        default_factory=list, description="images of characters, style or assets to keep"
    )
    dialogue: list[DialogueLine] = Field(default_factory=list, description="spoken lines")
    beats: list[Beat] = Field(default_factory=list, description="timed beats within the clip")
    extend: str | None = Field(default=None, description="take id of a clip to continue")
    allow: list[str] = Field(
        default_factory=list, description="lint rule ids overridden for this variant"
    )

    @property
    def structured(self) -> bool:
        return self.prompt is None

    def fields(self) -> dict[str, str]:
        """The structured fields that are filled, in their canonical order."""
        out: dict[str, str] = {}
        for name in STRUCTURED_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        return out

    def render(
        self, defaults: VariantSettings | None = None, style_of_prompt: PromptStyle = "plain"
    ) -> str:
        """The prompt text sent to a backend: free text as written (plus its style, if one is
        set and the text does not already say it), or the structured fields composed in the
        backend's published order; then beats, dialogue and sound cues."""
        settings = self.resolved(defaults)
        style = settings.style
        if self.prompt is not None:
            text = " ".join(self.prompt.split())
            if style and style.strip().lower() not in text.lower():
                text = f"{_sentence(text)} {_sentence(f'Style: {style.strip()}')}"
            return compose_extras(text, self, settings, style_of_prompt)
        render = {"veo": render_veo, "openai": render_openai}.get(style_of_prompt, render_fields)
        text = render(
            subject=self.subject or "",
            secondary=self.secondary,
            action=self.action,
            camera=self.camera,
            lighting=self.lighting,
            style=style,
        )
        return compose_extras(text, self, settings, style_of_prompt)

    def resolved(self, defaults: VariantSettings | None) -> VariantSettings:
        """Settings with the project defaults filled in where the variant is silent."""
        base = defaults or VariantSettings()
        return VariantSettings(
            duration=self.duration if self.duration is not None else base.duration,
            aspect=self.aspect or base.aspect,
            resolution=self.resolution or base.resolution,
            negative=self.negative if self.negative is not None else base.negative,
            style=self.style or base.style,
            audio=self.audio if self.audio is not None else base.audio,
            sound=self.sound or base.sound,
        )

    def hash(self, defaults: VariantSettings | None = None, folder: Path | None = None) -> str:
        """Stable hash of what the variant asks for (content, not id or position).

        Empty new fields are left out so a variant that does not use them keeps the hash it
        always had; with `folder`, reference and end-frame images count by their content."""
        data = self.model_dump(exclude={"id", "allow"}, exclude_none=True)
        for name in ("references", "dialogue", "beats"):
            if not data.get(name):
                data.pop(name, None)
        data.update(self.resolved(defaults).model_dump(exclude_none=True))
        if folder is not None:
            if self.end_image:
                data["end_image"] = _content_sha(folder / self.end_image)
            for ref in data.get("references", []):
                ref["image"] = _content_sha(folder / ref["image"])
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _content_sha(path: Path) -> str:
    """sha256 of a file's bytes, or of its path when it cannot be read (a hash never fails)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing:" + str(path)


class Shot(BaseModel):
    """One clip the finished piece needs."""

    model_config = ConfigDict(extra="forbid")

    id: str
    notes: str | None = None
    variants: list[Variant]

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)


class Project(BaseModel):
    """One creative project file: goal, defaults, budget, shots."""

    model_config = ConfigDict(extra="forbid")

    project: str
    goal: str | None = None
    budget_usd: float | None = None
    defaults: VariantSettings = Field(default_factory=VariantSettings)
    shots: list[Shot]
    cut: Cut | None = Field(default=None, description="how kept takes become the piece")
    allow_external_images: bool = Field(
        default=False, description="let `image:` name files outside the project file's folder"
    )

    _path: Path | None = PrivateAttr(default=None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path:
        if self._path is None:
            raise ValueError("project was not loaded from a file")
        return self._path

    def shot(self, shot_id: str) -> Shot:
        for s in self.shots:
            if s.id == shot_id:
                return s
        raise KeyError(shot_id)

    def line_of(self, *keys: str) -> int | None:
        """1-based line in the file of a shot / variant / field, where known."""
        return self._lines.get(tuple(keys))

    def image_path(self, variant: Variant) -> Path | None:
        """Absolute path of a variant's first-frame image."""
        if not variant.image:
            return None
        return (self.path.parent / variant.image).resolve()

    def end_image_path(self, variant: Variant) -> Path | None:
        """Absolute path of a variant's last-frame image."""
        if not variant.end_image:
            return None
        return (self.path.parent / variant.end_image).resolve()

    def reference_paths(self, variant: Variant) -> list[tuple[Path, str | None]]:
        """Absolute paths and roles of a variant's reference images."""
        return [((self.path.parent / r.image).resolve(), r.role) for r in variant.references]


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Width and height in pixels (even numbers) for an aspect and a resolution name."""
    short = SHORT_SIDE[resolution]
    a, b = (int(x) for x in aspect.split(":"))
    w, h = (short * a / b, float(short)) if a >= b else (float(short), short * b / a)
    return int(round(w / 2) * 2), int(round(h / 2) * 2)


def load_project(path: str | Path) -> Project:
    """Load and validate a project file; any problem raises one PromptFileError."""
    from takelab.project.load import load

    return load(Path(path))


def project_from_text(text: str, path: str | Path) -> Project:
    """Validate project YAML text as if it were the file at `path` (for editors)."""
    from takelab.project.load import load_text

    return load_text(text, Path(path))


__all__ = [
    "ASPECTS",
    "REFERENCE_ROLES",
    "RESOLUTIONS",
    "STRUCTURED_FIELDS",
    "Beat",
    "DialogueLine",
    "Project",
    "PromptFileError",
    "PromptStyle",
    "Reference",
    "Shot",
    "Variant",
    "VariantSettings",
    "frame_size",
    "load_project",
    "render_fields",
]
