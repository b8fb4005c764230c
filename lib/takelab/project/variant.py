"""A variant: one version of a shot's prompt, its settings (shared with the project's
defaults), the rules each field of it follows in the file, its rendering to prompt text
and its stable hash."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, model_validator

from takelab.project import _fields as _f
from takelab.project._prompt_layout import (
    PromptStyle,
    _sentence,
    compose_extras,
    render_fields,
    render_openai,
    render_veo,
)
from takelab.rule_ids import RULE_IDS

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

# A take id is 16 hex digits; a shorter prefix (as `takelab takes` shows it) is resolved
# against the journal when the sweep is planned.
TAKE_ID = re.compile(r"^[0-9a-f]{6,16}$")
# No generator takes more (Seedance, the most generous, takes 9); the model's own limit is
# checked once the backend is known (takelab.backends.capability_check).
MAX_REFERENCES = 9


_duration = _f.amount(
    "seconds",
    "8",
    0,
    MAX_DURATION_S,
    above=True,
    low_message="{subject} must be more than 0 seconds, got {value}",
    high_message=f"{{subject}} {{value}} is over the {MAX_DURATION_S:g}-second limit",
    hint=f"write a positive number of seconds up to duration: {MAX_DURATION_S:g}; most video "
    "models make 4 to 10 s per clip",
)


def _take_id(value: Any) -> str | None:
    if value is None:
        return None
    take = str(value).strip().lower() if isinstance(value, str | int) else ""
    if not TAKE_ID.match(take) or _f.is_bool(value):
        raise _f.fail(
            f"{{subject}} must be a take id (6 to 16 hex digits), got {_f.kind(value)}",
            "copy the id of a finished take from `takelab takes`, e.g. extend: 3f2a9c1b7d4e5f60",
        )
    return take


def _rule_ids(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list):
        example = f"[{value.strip()}]" if isinstance(value, str) and value.strip() else ""
        raise _f.fail(
            f"{{subject}} must be a list of lint rule ids, got {_f.kind(value)}",
            f"write a list, e.g. allow: {example or '[legible-text]'}",
        )
    for index, item in enumerate(value):
        rule = item.strip() if isinstance(item, str) else None
        if rule not in RULE_IDS:
            close = difflib.get_close_matches(rule or "", RULE_IDS, n=1, cutoff=0.6)
            maybe = f"did you mean {close[0]!r}? " if close else ""
            shown = repr(rule) if rule is not None else _f.kind(item)
            raise _f.fail(
                f"{{owner_}}{shown} in allow is not a lint rule id",
                f"{maybe}known rules: {', '.join(RULE_IDS)}",
                index,
            )
    return [item.strip() for item in value]


def _references(value: Any) -> Any:
    value = _f.listed(value)
    if isinstance(value, list) and len(value) > MAX_REFERENCES:
        raise _f.fail(
            f"{{owner_}}{len(value)} references; no generator takes more than {MAX_REFERENCES}",
            f"keep the {MAX_REFERENCES} that matter most (most models take 3 or fewer)",
            MAX_REFERENCES,
        )
    return value


Text = Annotated[str | None, _f.rule(_f.text)]
Required = Annotated[str | None, _f.rule(partial(_f.text, required=True))]
Image = Annotated[str | None, _f.rule(_f.file("{owner_}{field}"), with_info=True)]
Seconds = Annotated[float | None, _f.rule(_f.seconds)]


class VariantSettings(_f.Section):
    """Fields a variant shares with the project defaults."""

    duration: Annotated[float | None, _f.rule(_duration)] = Field(
        default=None, description="clip length in seconds"
    )
    aspect: Annotated[str | None, _f.rule(_f.choice(ASPECTS, '"16:9"'))] = Field(
        default=None, description="aspect ratio, e.g. 16:9"
    )
    resolution: Annotated[str | None, _f.rule(_f.choice(RESOLUTIONS, "720p"))] = Field(
        default=None, description="144p, 480p, 540p, 720p, 1080p or 4k"
    )
    negative: Annotated[str | None, _f.rule(partial(_f.text, keep_empty=True))] = Field(
        default=None, description="what the clip must not show"
    )
    style: Text = Field(default=None, description="look: film stock, lens, palette")
    audio: Annotated[bool | None, _f.rule(_f.flag)] = Field(
        default=None, description="ask for sound with the picture (None: the backend's default)"
    )
    sound: Text = Field(default=None, description="sound effects and ambience, as text")


class DialogueLine(_f.Section):
    """One spoken line: who says it, the words, and optionally when (seconds into the clip)."""

    model_config = ConfigDict(frozen=True)

    speaker: Annotated[str, _f.rule(partial(_f.text, required=True))]
    line: Annotated[str, _f.rule(partial(_f.text, required=True))]
    at: Seconds = None


class Reference(_f.Section):
    """An image that keeps a character, a look or an object consistent across shots."""

    model_config = ConfigDict(frozen=True)

    SHORT = "image"
    image: Annotated[str, _f.rule(_f.file("{owner_}{field}"), with_info=True)] = Field(
        description="path relative to the project file"
    )
    role: Annotated[Literal["character", "style", "asset"] | None, _f.rule(_f.text)] = None


class Beat(_f.Section):
    """A timed moment within one clip: what happens at `at` seconds, and the camera then."""

    model_config = ConfigDict(frozen=True)

    at: Annotated[float, _f.rule(_f.seconds)]
    action: Annotated[str, _f.rule(partial(_f.text, required=True))]
    camera: Text = None


class Variant(VariantSettings):
    """One version of a shot's prompt: free text, or structured fields rendered to text."""

    id: Annotated[str, _f.rule(_f.slug)]
    prompt: Required = None
    subject: Required = None
    secondary: Text = None
    action: Text = None
    camera: Text = None
    lighting: Text = None
    image: Image = Field(default=None, description="first frame, relative to the project file")
    end_image: Image = Field(default=None, description="last frame, like image:")
    references: Annotated[list[Reference], _f.rule(_references)] = Field(
        default_factory=list, description="images of characters, style or assets to keep"
    )
    dialogue: Annotated[list[DialogueLine], _f.rule(_f.listed)] = Field(
        default_factory=list, description="spoken lines"
    )
    beats: Annotated[list[Beat], _f.rule(_f.listed)] = Field(
        default_factory=list, description="timed beats within the clip"
    )
    extend: Annotated[str | None, _f.rule(_take_id)] = Field(
        default=None, description="take id of a clip to continue"
    )
    allow: Annotated[list[str], _f.rule(_rule_ids)] = Field(
        default_factory=list, description="lint rule ids overridden for this variant"
    )

    @model_validator(mode="after")
    def _prompt_or_fields(self, info: ValidationInfo) -> Variant:
        """Free text or structured fields, not both; `style` may sit beside a prompt (it
        describes the look, not the content)."""
        if not _f.checking(info):
            return self
        fields = [f for f in STRUCTURED_FIELDS if f != "style" and getattr(self, f)]
        if self.prompt is not None and fields:
            listed = ", ".join(fields)
            raise _f.fail(
                f"{{owner}} has both prompt: and structured fields ({listed})",
                "a variant has either prompt: or structured fields, not both: remove "
                f"prompt: or fold {listed} into the prompt text",
                fields[0],
                key=1,
            )
        if self.prompt is None and self.subject is None:
            if fields:
                raise _f.fail(
                    f"{{subject}} has structured fields ({', '.join(fields)}) but no subject:",
                    "add `subject: <who or what the shot is about>`, "
                    "or write the whole text as prompt: ...",
                )
            raise _f.fail(
                "{subject} has neither prompt: nor subject:",
                "add `prompt: <the full text>`, or structured fields starting with subject:",
            )
        return self

    def check_timing(self, defaults: VariantSettings, *where: str | int) -> None:
        """Beats and lines inside the clip; no dialogue or sound cues in a silent clip."""
        duration = self.duration if self.duration is not None else defaults.duration
        for key in ("dialogue", "beats"):
            for index, item in enumerate(getattr(self, key)):
                if duration is not None and item.at is not None and item.at >= duration:
                    raise _f.fail(
                        f"{{subject}} {_f.number_text(item.at)} s is not inside the "
                        f"{duration:g}-second clip",
                        f"give a time from 0 to under {duration:g}, or lengthen the clip "
                        "(duration:)",
                        *where,
                        key,
                        index,
                        "at",
                    )
        audio = self.audio if self.audio is not None else defaults.audio
        for key in ("dialogue", "sound"):
            if audio is False and getattr(self, key):
                raise _f.fail(
                    f"{{owner}} has {key}: but audio is false (no sound is asked for)",
                    f"remove `audio: false` (here or in defaults), or remove {key}:",
                    *where,
                    key,
                    key=1,
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


__all__ = [
    "ASPECTS",
    "MAX_DURATION_S",
    "MAX_REFERENCES",
    "REFERENCE_ROLES",
    "RESOLUTIONS",
    "SETTING_FIELDS",
    "STRUCTURED_FIELDS",
    "TAKE_ID",
    "Beat",
    "DialogueLine",
    "PromptStyle",
    "Reference",
    "Seconds",
    "Text",
    "Variant",
    "VariantSettings",
    "render_fields",
]
