"""Checks of a variant's sound and picture inputs: `audio`, `sound`, `dialogue`, `beats`,
`references`, `end_image` and `extend`.

Called by `_project_loader._Checker.variant`; kept apart so each module reads in one
sitting. Every problem is one PromptFileError at the line of the value at fault. What
depends on a model (how many references it takes, whether it speaks) is checked later,
once the backend is known (`takelab.backends.capability_check`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from takelab.project.load import (
    _is_bool,
    _item_pos,
    _key_pos,
    _kind,
    _short,
    _value_pos,
)
from takelab.project.model import REFERENCE_ROLES, Beat, DialogueLine, Reference

if TYPE_CHECKING:
    from takelab.project.load import _Checker

DIALOGUE_KEYS = ("speaker", "line", "at")
BEAT_KEYS = ("at", "action", "camera")
REFERENCE_KEYS = ("image", "role")
# A take id is 16 hex digits; a shorter prefix (as `takelab takes` shows it) is resolved
# against the journal when the sweep is planned.
TAKE_ID = re.compile(r"^[0-9a-f]{6,16}$")
# No generator takes more (Seedance, the most generous, takes 9); the model's own limit is
# checked once the backend is known.
MAX_REFERENCES = 9


def audio_and_sound(ck: _Checker, node: CommentedMap, label: str) -> dict[str, Any]:
    """`audio: true|false` and `sound: <text>`, shared by variants and defaults."""
    out: dict[str, Any] = {}
    if node.get("audio") is not None:
        value = node["audio"]
        if not _is_bool(value):
            ck.fail(
                f"{label}: audio must be true or false, got {_kind(value)}",
                _value_pos(node, "audio"),
                "write `audio: true` to ask for sound, `audio: false` for a silent clip",
            )
        out["audio"] = bool(value)
    sound = ck.text(node, "sound", f"{label}: sound")
    if sound is not None:
        out["sound"] = sound
    return out


def variant_fields(
    ck: _Checker, node: CommentedMap, label: str, duration: float | None
) -> dict[str, Any]:
    """The new variant fields, checked; `duration` (variant or defaults) bounds `at` times."""
    out = audio_and_sound(ck, node, label)
    out["dialogue"] = _timed_list(ck, node, "dialogue", label, duration)
    out["beats"] = _timed_list(ck, node, "beats", label, duration)
    out["references"] = _references(ck, node, label)
    end = ck.text(node, "end_image", f"{label}: end_image")
    if end is not None:
        ck.media_file(node, "end_image", label, end, _value_pos(node, "end_image"))
        out["end_image"] = end
    out["extend"] = _extend(ck, node, label)
    return out


def check_silence(
    ck: _Checker, node: CommentedMap, label: str, audio: bool | None, fields: dict[str, Any]
) -> None:
    """Dialogue or sound cues in a variant that asks for no sound contradict each other."""
    if audio is not False:
        return
    for key in ("dialogue", "sound"):
        if fields.get(key):
            ck.fail(
                f"{label} has {key}: but audio is false (no sound is asked for)",
                _key_pos(node, key),
                f"remove `audio: false` (here or in defaults), or remove {key}:",
            )


def _mapping_list(
    ck: _Checker, node: CommentedMap, key: str, label: str, example: str
) -> list[Any]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, CommentedSeq):
        ck.fail(
            f"{label}: {key} must be a list, got {_kind(value)}",
            _value_pos(node, key),
            f"write one `- ` entry per item under `{key}:`, e.g. {example}",
        )
    return list(value)


def _timed_list(
    ck: _Checker, node: CommentedMap, key: str, label: str, duration: float | None
) -> list[Any]:
    """`dialogue` ({speaker, line, at?}) or `beats` ({at, action, camera?})."""
    dialogue = key == "dialogue"
    keys = DIALOGUE_KEYS if dialogue else BEAT_KEYS
    example = (
        '- {speaker: Mia, line: "We\'re late.", at: 2}'
        if dialogue
        else "- {at: 0, action: the door opens, camera: slow push in}"
    )
    seq = node.get(key)
    out: list[Any] = []
    for index, item in enumerate(_mapping_list(ck, node, key, label, example)):
        where = f"{label}: {key} #{index + 1}"
        pos = _item_pos(seq, index)
        if not isinstance(item, CommentedMap):
            ck.fail(
                f"{where} must be a mapping ({', '.join(keys)}), got {_kind(item)}",
                pos,
                f"write it as {example}",
            )
        ck.keys(item, keys, f"in {where}", key)
        required = ("speaker", "line") if dialogue else ("at", "action")
        for name in required:
            if name not in item:
                ck.fail(f"{where} has no `{name}:`", pos, f"write it as {example}")
        at = _at(ck, item, where, duration) if item.get("at") is not None else None
        if dialogue:
            speaker = ck.text(item, "speaker", f"{where}: speaker", required=True)
            line = ck.text(item, "line", f"{where}: line", required=True)
            out.append(DialogueLine(speaker=speaker or "", line=line or "", at=at))
        else:
            action = ck.text(item, "action", f"{where}: action", required=True)
            camera = ck.text(item, "camera", f"{where}: camera")
            out.append(Beat(at=at or 0.0, action=action or "", camera=camera))
    return out


def _at(ck: _Checker, item: CommentedMap, where: str, duration: float | None) -> float:
    pos = _value_pos(item, "at")
    seconds = ck.number(item["at"], pos, f"{where}: at", "a number of seconds into the clip", "2")
    if seconds < 0:
        ck.fail(f"{where}: at must be 0 or more, got {item['at']}", pos, "e.g. at: 2")
    if duration is not None and seconds >= duration:
        ck.fail(
            f"{where}: at {item['at']} s is not inside the {duration:g}-second clip",
            pos,
            f"give a time from 0 to under {duration:g}, or lengthen the clip (duration:)",
        )
    return seconds


def _references(ck: _Checker, node: CommentedMap, label: str) -> list[Reference]:
    example = "- {image: refs/hero.png, role: character}"
    seq = node.get("references")
    items = _mapping_list(ck, node, "references", label, example)
    if len(items) > MAX_REFERENCES:
        ck.fail(
            f"{label}: {len(items)} references; no generator takes more than {MAX_REFERENCES}",
            _item_pos(seq, MAX_REFERENCES),
            f"keep the {MAX_REFERENCES} that matter most (most models take 3 or fewer)",
        )
    out: list[Reference] = []
    for index, item in enumerate(items):
        where = f"{label}: references #{index + 1}"
        pos = _item_pos(seq, index)
        if isinstance(item, str):  # `- refs/hero.png` is short for `- image: refs/hero.png`
            path = item.strip()
            if not path:
                ck.fail(f"{where} is empty", pos, f"write it as {example}")
            ck.media_file(seq, index, where, path, pos)
            out.append(Reference(image=path))
            continue
        if not isinstance(item, CommentedMap):
            ck.fail(
                f"{where} must be an image path or a mapping (image, role), got {_kind(item)}",
                pos,
                f"write it as {example}",
            )
        ck.keys(item, REFERENCE_KEYS, f"in {where}", "reference")
        if "image" not in item:
            ck.fail(f"{where} has no `image:`", pos, f"write it as {example}")
        path = ck.text(item, "image", f"{where}: image", required=True) or ""
        ck.media_file(item, "image", where, path, _value_pos(item, "image"))
        role = ck.text(item, "role", f"{where}: role")
        if role is not None and role not in REFERENCE_ROLES:
            ck.fail(
                f"{where}: unknown role {_short(role)}",
                _value_pos(item, "role"),
                f"use one of {', '.join(REFERENCE_ROLES)}, or leave role: out",
            )
        out.append(Reference(image=path, role=role))  # type: ignore[arg-type]
    return out


def _extend(ck: _Checker, node: CommentedMap, label: str) -> str | None:
    value = node.get("extend")
    if value is None:
        return None
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if not TAKE_ID.match(text) or _is_bool(value):
        ck.fail(
            f"{label}: extend must be a take id (6 to 16 hex digits), got {_kind(value)}",
            _value_pos(node, "extend"),
            "copy the id of a finished take from `takelab takes`, e.g. extend: 3f2a9c1b7d4e5f60",
        )
    return text
