"""Project files: the model of `prompts/<project>.yaml`, loading with file:line errors,
rendering variants to prompt text and a stable variant hash."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from takelab.cut_model import Cut
from takelab.errors import PromptFileError

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

    def render(self, defaults: VariantSettings | None = None) -> str:
        """The prompt text sent to a backend: free text as written (plus its style, if one is
        set and the text does not already say it), or the structured fields composed."""
        style = self.style or (defaults.style if defaults else None)
        if self.prompt is not None:
            text = " ".join(self.prompt.split())
            if style and style.strip().lower() not in text.lower():
                text = f"{_sentence(text)} {_sentence(f'Style: {style.strip()}')}"
            return text
        return render_fields(
            subject=self.subject or "",
            secondary=self.secondary,
            action=self.action,
            camera=self.camera,
            lighting=self.lighting,
            style=style,
        )

    def resolved(self, defaults: VariantSettings | None) -> VariantSettings:
        """Settings with the project defaults filled in where the variant is silent."""
        base = defaults or VariantSettings()
        return VariantSettings(
            duration=self.duration if self.duration is not None else base.duration,
            aspect=self.aspect or base.aspect,
            resolution=self.resolution or base.resolution,
            negative=self.negative if self.negative is not None else base.negative,
            style=self.style or base.style,
        )

    def hash(self, defaults: VariantSettings | None = None) -> str:
        """Stable hash of what the variant asks for (content, not id or position)."""
        data = self.model_dump(exclude={"id", "allow"}, exclude_none=True)
        data.update(self.resolved(defaults).model_dump(exclude_none=True))
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def render_fields(
    *,
    subject: str,
    secondary: str | None = None,
    action: str | None = None,
    camera: str | None = None,
    lighting: str | None = None,
    style: str | None = None,
) -> str:
    """Compose structured fields into prompt text: subject and action first, then scene,
    camera, light and style, the order video models weight best."""
    lead = subject.strip()
    if action:
        lead = f"{lead} {action.strip()}"
    parts = [_sentence(lead)]
    if secondary:
        parts.append(_sentence(f"In the scene, {secondary.strip()}"))
    if camera:
        parts.append(_sentence(f"Camera: {camera.strip()}"))
    if lighting:
        parts.append(_sentence(f"Lighting: {lighting.strip()}"))
    if style:
        parts.append(_sentence(f"Style: {style.strip()}"))
    return " ".join(p for p in parts if p)


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


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Width and height in pixels (even numbers) for an aspect and a resolution name."""
    short = SHORT_SIDE[resolution]
    a, b = (int(x) for x in aspect.split(":"))
    w, h = (short * a / b, float(short)) if a >= b else (float(short), short * b / a)
    return int(round(w / 2) * 2), int(round(h / 2) * 2)


def load_project(path: str | Path) -> Project:
    """Load and validate a project file; any problem raises one PromptFileError."""
    from takelab._project_loader import load

    return load(Path(path))


def project_from_text(text: str, path: str | Path) -> Project:
    """Validate project YAML text as if it were the file at `path` (for editors)."""
    from takelab._project_loader import load_text

    return load_text(text, Path(path))


__all__ = [
    "ASPECTS",
    "RESOLUTIONS",
    "STRUCTURED_FIELDS",
    "Project",
    "PromptFileError",
    "Shot",
    "Variant",
    "VariantSettings",
    "frame_size",
    "load_project",
    "render_fields",
]
