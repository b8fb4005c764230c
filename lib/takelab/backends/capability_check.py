"""Capabilities decide before money: asking a model for what it cannot do (sound,
dialogue, more reference images than it takes, a last frame, extending a take) is one
`PromptFileError` at the line of the field, naming the backends that can do it.

Called by `plan.plan` (so by `takelab estimate`, `takelab sweep` and Studio) and by
`takelab lint --backend`; nothing is sent from a variant that fails here. Also resolves
`extend:` to a finished take in the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from takelab.backends import Backend, Capabilities, available_backends
from takelab.backends.lifecycle import models_that
from takelab.errors import PromptFileError
from takelab.project.model import Project, Shot, Variant

TakeLookup = Callable[[str], "tuple[str, Path | None] | None"]
SHOWN = 4  # backends named in a hint; more are summarised


def _line(project: Project, shot: Shot, variant: Variant, field: str) -> int | None:
    own = project.line_of("shot", shot.id, "variant", variant.id, field)
    if own is not None:
        return own
    return project.line_of("defaults", field) or project.line_of(
        "shot", shot.id, "variant", variant.id
    )


def _who_can(feature: str, backend: str = "") -> str:
    """The models that can, this backend's own first (the smallest change to make)."""
    specs = models_that(available_backends(), feature)
    specs.sort(key=lambda spec: not spec.startswith(backend + ":"))
    if not specs:
        return "no listed backend does"
    more = f" and {len(specs) - SHOWN} more" if len(specs) > SHOWN else ""
    return "backends that can: " + ", ".join(specs[:SHOWN]) + more


def capability_problems(
    project: Project, shot: Shot, variant: Variant, backend: Backend, caps: Capabilities
) -> list[tuple[str, str, str]]:
    """(field, message, hint) for each thing the variant asks that the model cannot do."""
    settings = variant.resolved(project.defaults)
    spec = backend.spec
    out: list[tuple[str, str, str]] = []
    if settings.audio and not caps.audio:
        out.append(
            ("audio", f"{spec} makes no sound (audio: true)", _who_can("audio", backend.name))
        )
    if variant.dialogue and settings.audio is not False and not caps.dialogue:
        out.append(
            ("dialogue", f"{spec} does not speak dialogue", _who_can("dialogue", backend.name))
        )
    if settings.sound and settings.audio is not False and not caps.audio:
        out.append(
            (
                "sound",
                f"{spec} makes no sound, so sound: cannot be heard",
                _who_can("audio", backend.name),
            )
        )
    refs = len(variant.references)
    if refs > caps.max_references:
        takes = f"takes {caps.max_references}" if caps.max_references else "takes no"
        out.append(
            (
                "references",
                f"{refs} reference images, but {spec} {takes} reference images",
                _who_can("max_references", backend.name),
            )
        )
    elif refs:
        bad = sorted({r.role for r in variant.references if r.role} - set(caps.reference_roles))
        if bad:
            out.append(
                (
                    "references",
                    f"{spec} takes no {'/'.join(bad)} reference images",
                    f"use role {' or '.join(caps.reference_roles)}, or another backend",
                )
            )
    if variant.end_image and not caps.end_frame:
        out.append(
            (
                "end_image",
                f"{spec} takes no last frame (end_image)",
                _who_can("end_frame", backend.name),
            )
        )
    if variant.end_image and caps.end_frame and not caps.end_frame_alone and not variant.image:
        # Veo, Kling and Runway interpolate between two frames: a last frame alone is refused.
        out.append(
            (
                "end_image",
                f"{spec} takes a last frame only with a first frame",
                "add `image:` (the first frame) beside end_image:",
            )
        )
    if variant.extend and not caps.extend:
        out.append(("extend", f"{spec} cannot extend a take", _who_can("extend", backend.name)))
    return out


def check_capabilities(
    project: Project, shot: Shot, variant: Variant, backend: Backend, caps: Capabilities
) -> None:
    """Raise one PromptFileError for the first thing the model cannot do, at its line."""
    for field, message, hint in capability_problems(project, shot, variant, backend, caps):
        raise PromptFileError(
            project.path,
            f"shot {shot.id!r}, variant {variant.id!r}: {field}: {message}",
            line=_line(project, shot, variant, field),
            hint=f"{hint}; or remove {field}: from this variant",
        )


def resolve_extend(
    project: Project, shot: Shot, variant: Variant, lookup: TakeLookup
) -> tuple[str, Path] | None:
    """The full take id and file of the take `extend:` names; PromptFileError at its line
    when no finished take with a file matches."""
    if not variant.extend:
        return None
    found = lookup(variant.extend)
    line = _line(project, shot, variant, "extend")
    where = f"shot {shot.id!r}, variant {variant.id!r}: extend"
    if found is None:
        raise PromptFileError(
            project.path,
            f"{where}: no take {variant.extend!r} in the journal",
            line=line,
            hint="copy the id of a finished take from `takelab takes` (a prefix is enough)",
        )
    take_id, path = found
    if path is None or not path.is_file():
        raise PromptFileError(
            project.path,
            f"{where}: take {take_id} has no video file to continue",
            line=line,
            hint="extend a take that finished (`takelab takes` shows its status and file)",
        )
    return take_id, path
