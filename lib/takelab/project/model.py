"""Project files: the model of `prompts/<project>.yaml` (shots of variants, defaults,
budget and the cut), the rules across its shots, and loading with file:line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from takelab.errors import PromptFileError
from takelab.project import _fields as _f
from takelab.project.cut_model import Cut
from takelab.project.variant import (
    ASPECTS,
    MAX_DURATION_S,
    REFERENCE_ROLES,
    RESOLUTIONS,
    SETTING_FIELDS,
    STRUCTURED_FIELDS,
    Beat,
    DialogueLine,
    PromptStyle,
    Reference,
    Text,
    Variant,
    VariantSettings,
    render_fields,
)

SLUG = _f.SLUG

# Frame sizes for each resolution name at 16:9; other aspects keep the short side. 144p
# (256x144) is a thumbnail-sized draft, e.g. for a quick look from a local model.
SHORT_SIDE = {"144p": 144, "480p": 480, "540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}


def _unique(
    ids: list[str], what: Callable[[str], str], hint: Callable[[str], str], *where: str | int
) -> None:
    """Each id once; the error points at the second use and names the line of the first."""
    first: dict[str, int] = {}
    for index, name in enumerate(ids):
        if name in first:
            raise _f.fail(
                f"duplicate {what(name)} (first used on line {{first_line}})",
                hint(name),
                *where,
                index,
                "id",
                first=(*where, first[name]),
            )
        first[name] = index


def _unused(ids: list[str], prefix: str) -> str:
    number = 2
    while f"{prefix}{number}" in ids:
        number += 1
    return f"{prefix}{number}"


class Shot(_f.Section):
    """One clip the finished piece needs."""

    id: Annotated[str, _f.rule(_f.slug)]
    notes: Text = None
    variants: Annotated[
        list[Variant],
        _f.rule(
            _f.nonempty(
                "{owner} has no variants: the list is empty",
                "add a variant under `variants:`: `- id: v1` and `prompt: ...`",
            )
        ),
    ]

    @model_validator(mode="after")
    def _unique_variants(self, info: ValidationInfo) -> Shot:
        if _f.checking(info):
            ids = [v.id for v in self.variants]
            hint = f"give each variant of a shot its own id, e.g. {_unused(ids, 'v')}"
            shot = self.id
            _unique(ids, lambda n: f"variant id {n!r} in shot {shot!r}", lambda _: hint, "variants")
        return self

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)


class Project(_f.Section):
    """One creative project file: goal, defaults, budget, shots."""

    project: Annotated[str, _f.rule(_f.slug)]
    goal: Text = None
    budget_usd: Annotated[
        float | None,
        _f.rule(
            _f.amount(
                "US dollars",
                "25",
                low_message="{subject} must be a finite amount, 0 or more, got {value}",
                hint="write an amount in US dollars, e.g. budget_usd: 25, or remove the line",
            )
        ),
    ] = None
    defaults: Annotated[VariantSettings, _f.rule(_f.listed_map)] = Field(
        default_factory=VariantSettings
    )
    shots: Annotated[
        list[Shot],
        _f.rule(
            _f.nonempty(
                "shots is empty: a project needs at least one shot",
                "add a shot under `shots:`: `- id: opening` with a `variants:` list",
            )
        ),
    ]
    cut: Cut | None = Field(default=None, description="how kept takes become the piece")
    allow_external_images: Annotated[bool, _f.rule(lambda v: bool(_f.flag(v)))] = Field(
        default=False, description="let `image:` name files outside the project file's folder"
    )

    _path: Path | None = PrivateAttr(default=None)
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _file_wide(cls, data: Any, info: ValidationInfo) -> Any:
        """What the fields' rules need from the whole file: whether files may lie outside
        its folder, and the shot ids a cut may name."""
        if _f.checking(info) and isinstance(data, dict) and isinstance(info.context, dict):
            info.context["external"] = data.get("allow_external_images") is True
            shots = data.get("shots")
            shots = shots if isinstance(shots, list) else []
            ids = [s.get("id") for s in shots if isinstance(s, dict)]
            info.context["shot_ids"] = [i.strip() for i in ids if isinstance(i, str)]
        return data

    @model_validator(mode="after")
    def _across_shots(self, info: ValidationInfo) -> Project:
        """Rules that need more than one shot: unique ids, timing against the defaults,
        and the cut against the shots it names."""
        if not _f.checking(info):
            return self
        ids = [s.id for s in self.shots]
        _unique(
            ids,
            lambda name: f"shot id {name!r}",
            lambda name: f"give each shot its own id, e.g. {_unused(ids, name + '-')}",
            "shots",
        )
        for i, shot in enumerate(self.shots):
            for j, variant in enumerate(shot.variants):
                variant.check_timing(self.defaults, "shots", i, "variants", j)
        if self.cut is not None:
            self.cut.check_shots({s.id: _requested_length(s, self.defaults) for s in self.shots})
        return self

    def attach(self, path: Path, lines: dict[tuple[str, ...], int]) -> None:
        """Remember the file and the line of each key (by path: shots, 0, variants, ...)."""
        self._path = path.resolve()
        self._lines = lines
        if self.cut is not None:
            self.cut.set_lines({k[1:]: v for k, v in lines.items() if k[:1] == ("cut",)})

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
        """1-based line in the file of a shot / variant / field, where known: keys as
        ("shot", id, "variant", id, field), ("defaults", field) or (field,)."""
        path, rest = [], list(keys)
        if rest[:1] == ["shot"] and len(rest) > 1:
            shots = [s.id for s in self.shots]
            if rest[1] not in shots:
                return None
            path += ["shots", str(shots.index(rest[1]))]
            rest = rest[2:]
            if rest[:1] == ["variant"] and len(rest) > 1:
                variants = [v.id for v in self.shot(keys[1]).variants]
                if rest[1] not in variants:
                    return None
                path += ["variants", str(variants.index(rest[1]))]
                rest = rest[2:]
        return self._lines.get(tuple(path + rest))

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


def _requested_length(shot: Shot, defaults: VariantSettings) -> float | None:
    """The shortest clip any variant of the shot asks for (None if one does not say)."""
    lengths = [v.duration if v.duration is not None else defaults.duration for v in shot.variants]
    return None if None in lengths or not lengths else min(x for x in lengths if x is not None)


def frame_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Width and height in pixels (even numbers) for an aspect and a resolution name."""
    short = SHORT_SIDE[resolution]
    a, b = (int(x) for x in aspect.split(":"))
    w, h = (short * a / b, float(short)) if a >= b else (float(short), short * b / a)
    return int(round(w / 2) * 2), int(round(h / 2) * 2)


def load_project(path: str | Path) -> Project:
    """Load and validate a project file; any problem raises one PromptFileError."""
    from takelab.project.load import load

    return load(Path(path), Project)


def project_from_text(text: str, path: str | Path) -> Project:
    """Validate project YAML text as if it were the file at `path` (for editors)."""
    from takelab.project.load import load_text

    return load_text(text, Path(path), Project)


__all__ = [
    "ASPECTS",
    "MAX_DURATION_S",
    "REFERENCE_ROLES",
    "RESOLUTIONS",
    "SETTING_FIELDS",
    "SHORT_SIDE",
    "SLUG",
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
