"""Rules for the fields of the `cut:` section: colours, fonts, text sizes, positions,
take ids, seconds, levels and colour-grade numbers (see `_fields` for how rules work)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationInfo

from takelab.project import _fields as _f

BEST = "best"
POSITIONS: tuple[str, ...] = ("top", "center", "bottom", "lower-third")
TRANSITIONS: tuple[str, ...] = ("cut", "crossfade")
HEX = frozenset("0123456789abcdef")
LEVEL_HINT = "write a gain in dB from -60 to 24: 0 keeps the file's level, -6 halves it"
CERT_SUFFIXES = (".pem", ".crt", ".cer")
AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".aif", ".aiff")
RGB = tuple[float, float, float]


def colour(value: Any) -> str:
    from PIL import ImageColor

    hint = 'write a colour name (white, black, navy) or "#rrggbb" in quotes'
    if not isinstance(value, str):
        raise _f.fail(f"{{subject}} must be a colour, got {_f.kind(value)}", hint)
    try:
        ImageColor.getrgb(value.strip())
    except ValueError:
        raise _f.fail(f"{{subject}}: {_f.short(value)} is not a colour", hint) from None
    return value.strip()


def font(value: Any, info: ValidationInfo) -> str:
    """A .ttf/.otf file beside the project file, or the name of an installed font."""
    name = _f.text(value, required=True) or ""
    path = Path(name).expanduser()
    path = path if path.is_absolute() else (Path((info.context or {})["folder"]) / path).resolve()
    if "/" in name or "\\" in name or name.startswith("~") or Path(name).is_absolute():
        _f.inside(path, info, name)  # a path, not a font name
    if path.is_file():
        _f.inside(path, info, name)
        return name
    from PIL import ImageFont

    try:
        ImageFont.truetype(name, 12)
    except OSError:
        raise _f.fail(
            f"{{owner_}}font {_f.short(name)} not found (looked for {path} and in the "
            "system's fonts)",
            "give a .ttf or .otf file relative to the project file, an installed font's "
            "file name (e.g. DejaVuSans.ttf), or remove font: to use the default",
        ) from None
    return name


size = _f.amount("pixels", "48", 6, 1000, whole=True)
positive = _f.amount("seconds", "2", 0, above=True)
level = _f.amount("dB", "-6", -60, 24, hint=LEVEL_HINT)


def shot_id(value: Any, info: ValidationInfo) -> str:
    """One of the file's shots (the project puts their ids in the context)."""
    name = _f.text(value, required=True) or ""
    ids = (info.context or {}).get("shot_ids", [name])
    if name not in ids:
        close = difflib.get_close_matches(name, ids, n=1, cutoff=0.6)
        maybe = f"did you mean {close[0]!r}? " if close else ""
        raise _f.fail(
            f"unknown shot {_f.short(name)}", f"{maybe}shots in this file: {', '.join(ids)}"
        )
    return name


def position(value: Any) -> str | tuple[float, float]:
    hint = f"use one of {', '.join(POSITIONS)}, or [x, y] as fractions of the frame (0 to 1)"
    if value is None:
        return "lower-third"
    if isinstance(value, str):
        name = value.strip().lower().replace(" ", "-").replace("centre", "center")
        return _f.one_of(name, POSITIONS, "position", hint)
    fractions = isinstance(value, list) and len(value) == 2
    if fractions and all(_f.is_number(v) and 0 <= float(v) <= 1 for v in value):
        return (float(value[0]), float(value[1]))
    raise _f.fail(f"{{subject}} must be a name or [x, y], got {_f.kind(value)}", hint)


def take(value: Any) -> str:
    if value is None:
        return BEST
    if not isinstance(value, str):
        raise _f.fail(
            f"{{subject}} must be `best` or a take id, got {_f.kind(value)}",
            f'put the take id in quotes, e.g. take: "{value}"',
        )
    take = value.strip().lower()
    if take != BEST and (len(take) < 6 or not set(take) <= HEX):
        raise _f.fail(
            f"{{subject}} {_f.short(value)} is neither `best` nor a take id",
            "write take: best (the best accepted take), or at least the first 6 "
            "characters of a take id as `takelab takes` lists them",
        )
    return take


def rgb(low: float, high: float, example: str) -> Callable[[Any], RGB]:
    def check(value: Any) -> RGB:
        hint = (
            f"write one number for all channels or [r, g, b], each from "
            f"{_f.number_text(low)} to {_f.number_text(high)}, e.g. {{field}}: {example}"
        )
        items = list(value) if isinstance(value, list) else [value]
        if len(items) not in (1, 3) or not all(_f.is_number(v) for v in items):
            raise _f.fail(f"{{subject}} must be a number or [r, g, b], got {_f.kind(value)}", hint)
        numbers = [float(v) for v in items]
        if not all(low <= v <= high for v in numbers):
            worst = _f.number_text(max(numbers, key=abs))
            raise _f.fail(f"{{subject}} {worst} is out of range", hint)
        r, g, b = numbers * 3 if len(numbers) == 1 else numbers
        return (r, g, b)

    return check


def loudness(value: Any) -> float | None:
    """`loudness: -14` (LUFS, the mix's target) or `loudness: off` (leave it as is)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    hint = (
        "write a target from -40 to -5 LUFS (-14 for streaming, -23 for broadcast), "
        "or `off` to keep the takes' levels"
    )
    return _f.amount("LUFS", "-14", -40, -5, hint=hint)(value)
