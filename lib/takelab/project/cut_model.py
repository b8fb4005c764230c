"""The `cut:` section of a project file: which shots, in what order, from which takes,
trimmed how, joined how, with what text, sound, colour and disclosure.

Times are seconds. Paths (`audio.file`, `grade.lut`, `style.font`, `credentials`) are as
written, relative to the project file; `Cut.resolve` turns them into absolute paths.
The models check everything that can be checked without the takes (`check_shots` once
the project's shots are known); the loader records each entry's line, so a problem found
later (a take shorter than `out:`) still names the line to change.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator

from takelab.project import _cut_fields as _c
from takelab.project import _fields as _f
from takelab.project._cut_fields import BEST, POSITIONS, RGB, TRANSITIONS

DEFAULT_DISCLOSURE = "Contains AI-generated footage"
DEFAULT_CROSSFADE_S = 0.5

Text = Annotated[str, _f.rule(partial(_f.text, required=True))]
Seconds = Annotated[float | None, _f.rule(_f.seconds)]


class TextStyle(_f.Section):
    """How overlay or card text looks."""

    size: Annotated[int | None, _f.rule(_c.size)] = Field(
        default=None, description="text height in pixels; default H/16"
    )
    color: Annotated[str, _f.rule(_c.colour)] = Field(
        default="#ffffff", description="a colour name or #rrggbb"
    )
    font: Annotated[str | None, _f.rule(_c.font, with_info=True)] = Field(
        default=None, description="a .ttf/.otf file (relative to the project file) or font name"
    )


Style = Annotated[TextStyle, _f.rule(_f.listed_map)]


class Overlay(_f.Section):
    """Text over a shot, from `start` to `end` seconds after the shot appears."""

    text: Text
    position: Annotated[str | tuple[float, float], _f.rule(_c.position)] = Field(
        default="lower-third",
        description="top, center, bottom, lower-third, or [x, y]: fractions of the frame "
        "where the text's top-left corner goes",
    )
    start: Annotated[float, _f.rule(lambda v: _f.seconds(v) or 0.0)] = 0.0
    end: Seconds = Field(default=None, description="default: the end of the shot")
    style: Style = Field(default_factory=TextStyle)

    @model_validator(mode="after")
    def _in_order(self, info: ValidationInfo) -> Overlay:
        if _f.checking(info) and self.end is not None and self.end <= self.start:
            raise _f.fail(
                f"{{owner_}}end ({_f.number_text(self.end)} s) must come after start "
                f"({_f.number_text(self.start)} s)",
                "start: and end: are seconds after the shot appears; make end: larger",
                "end",
            )
        return self


class Transition(_f.Section):
    """How a shot begins: a hard cut, or a crossfade from what comes before it."""

    type: Literal["cut", "crossfade"] = "cut"
    duration: Annotated[float, _f.rule(_c.positive)] = 0.0

    @property
    def crossfade(self) -> bool:
        return self.type == "crossfade" and self.duration > 0

    @model_validator(mode="before")
    @classmethod
    def _written(cls, data: Any, info: ValidationInfo) -> Any:
        """`transition: crossfade` (half a second), or {type:, duration:}; fade and
        dissolve are crossfades."""
        if not _f.checking(info):
            return data
        example = "transition: {type: crossfade, duration: 0.5}"
        data = {"type": data} if isinstance(data, str) else data
        raw = data.get("type", "crossfade") if isinstance(data, dict) else None
        if not isinstance(raw, str):
            inner = isinstance(data, dict)  # `type:` is not text, or the whole value is odd
            what = "must be cut or crossfade" if inner else "must be cut, crossfade, or a mapping"
            raise _f.fail(
                f"{{subject}} {what}, got {_f.kind(raw if inner else data)}",
                f"write transition: cut, or {example}",
                *(("type",) if inner else ()),
            )
        name = raw.strip().lower().replace("-", "").replace(" ", "")
        name = {"dissolve": "crossfade", "fade": "crossfade"}.get(name, name)
        hint = "use cut or crossfade (with duration: seconds)"
        data = {**data, "type": _f.one_of(name, TRANSITIONS, "transition", hint)}
        if data["type"] == "cut" and data.get("duration") is not None:
            hint = "remove duration:, or make it a crossfade: " + example
            raise _f.fail("{owner_}a cut has no duration", hint, "duration", key=1)
        if data["type"] == "crossfade" and data.get("duration") is None:
            data["duration"] = DEFAULT_CROSSFADE_S
        return data


class CutShot(_f.Section):
    """One entry of the cut: a shot, the take to use, its in and out points."""

    model_config = ConfigDict(populate_by_name=True)
    SHORT = "shot"

    shot: Annotated[str, _f.rule(_c.shot_id, with_info=True)]
    take: Annotated[str, _f.rule(_c.take)] = Field(
        default=BEST, description="a take id (or unique prefix), or `best`"
    )
    in_s: Seconds = Field(default=None, alias="in", description="`in:` seconds into the take")
    out_s: Seconds = Field(default=None, alias="out", description="`out:` seconds into the take")
    transition: Annotated[Transition, _f.rule(lambda v: {"type": "cut"} if v is None else v)] = (
        Field(default_factory=Transition)
    )
    overlays: Annotated[list[Overlay], _f.rule(_f.listed)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _in_before_out(self, info: ValidationInfo) -> CutShot:
        in_s, out_s = self.in_s, self.out_s
        if _f.checking(info) and in_s is not None and out_s is not None and in_s >= out_s:
            raise _f.fail(
                f"{{owner_}}in ({_f.number_text(in_s)} s) must come before out "
                f"({_f.number_text(out_s)} s)",
                "in: and out: are seconds into the take; make in: smaller than out:",
                "in",
            )
        return self

    @property
    def best(self) -> bool:
        return self.take == BEST

    def length(self, lengths: dict[str, float | None]) -> float | None:
        """The entry's length in seconds as far as the file tells (None if unknown)."""
        end = self.out_s if self.out_s is not None else lengths.get(self.shot)
        return None if end is None else end - (self.in_s or 0.0)


class Card(_f.Section):
    """A title or end card: text on a plain background."""

    SHORT = "text"
    text: Text
    duration: Annotated[float, _f.rule(_c.positive)] = 2.0
    background: Annotated[str, _f.rule(_c.colour)] = "#000000"
    style: Style = Field(default_factory=TextStyle)


class AudioBed(_f.Section):
    """A sound file under the whole cut."""

    SHORT = "file"
    file: Annotated[str, _f.rule(_f.file("audio", _c.AUDIO_SUFFIXES), with_info=True)]
    fade_in: Annotated[float, _f.rule(lambda v: _f.seconds(v) or 0.0)] = 0.0
    fade_out: Annotated[float, _f.rule(lambda v: _f.seconds(v) or 0.0)] = 0.0
    level: Annotated[float, _f.rule(_c.level)] = Field(
        default=0.0, description="gain in dB (0 = as is, -6 = half)"
    )


class Grade(_f.Section):
    """A colour grade on the footage (not the cards or text): a .cube LUT, or lift, gamma
    and gain per channel (0, 1, 1 change nothing)."""

    lut: Annotated[str | None, _f.rule(_f.file("LUT", (".cube",)), with_info=True)] = None
    lift: Annotated[RGB, _f.rule(_c.rgb(-1.0, 1.0, "0.02"))] = (0.0, 0.0, 0.0)
    gamma: Annotated[RGB, _f.rule(_c.rgb(0.1, 10.0, "1.1"))] = (1.0, 1.0, 1.0)
    gain: Annotated[RGB, _f.rule(_c.rgb(0.0, 10.0, "0.95"))] = (1.0, 1.0, 1.0)

    @model_validator(mode="before")
    @classmethod
    def _one_way(cls, data: Any, info: ValidationInfo) -> Any:
        if _f.checking(info) and isinstance(data, dict) and data.get("lut") is not None:
            numbers = [k for k in ("lift", "gamma", "gain") if data.get(k) is not None]
            if numbers:
                raise _f.fail(
                    f"{{owner}} has both lut: and {', '.join(numbers)}",
                    "use a LUT or lift/gamma/gain, not both: bake the numbers into the LUT, "
                    "or remove lut:",
                    numbers[0],
                    key=1,
                )
        return data

    @property
    def identity(self) -> bool:
        return self.lut is None and self.lift == (0, 0, 0) and self.gamma == self.gain == (1, 1, 1)


class Disclosure(_f.Section):
    """The AI-disclosure label: always in the file's metadata, burnt in unless told not."""

    SHORT = "text"
    text: Text = DEFAULT_DISCLOSURE
    burn_in: Annotated[bool, _f.rule(lambda v: _f.flag(v) is not False)] = True

    @model_validator(mode="before")
    @classmethod
    def _label(cls, data: Any, info: ValidationInfo) -> Any:
        if _f.checking(info) and _f.is_bool(data):
            raise _f.fail(
                "disclosure cannot be switched off: the label is always written into the "
                "file's metadata",
                "to keep it out of the picture, write disclosure: {burn_in: false}",
            )
        return data


class Credentials(_f.Section):
    """Where the C2PA signing certificate chain, its key and trust anchors are."""

    cert: Annotated[str, _f.rule(_f.file("certificate", _c.CERT_SUFFIXES), with_info=True)]
    key: Annotated[str, _f.rule(_f.file("key", (".pem", ".key")), with_info=True)]
    trust: Annotated[
        str | None, _f.rule(_f.file("trust anchor", _c.CERT_SUFFIXES), with_info=True)
    ] = None


class Cut(_f.Section):
    """The cut section of a project file."""

    shots: Annotated[
        list[CutShot],
        _f.rule(
            _f.nonempty(
                "shots is empty",
                "list the shots in the order they play, e.g. shots: [intro, street], "
                "or remove `shots:` to use every shot in file order",
            )
        ),
    ] = Field(default_factory=list)
    title: Card | None = None
    end: Card | None = None
    audio: AudioBed | None = None
    loudness: Annotated[float | None, _f.rule(_c.loudness)] = Field(
        default=-14.0, description="loudness target of the mix in LUFS; None leaves it as is"
    )
    grade: Grade | None = None
    disclosure: Annotated[Disclosure, _f.rule(_f.listed_map)] = Field(default_factory=Disclosure)
    credentials: Credentials | None = None

    # ("shots", "0") -> line of the entry; ("shots", "0", "out") -> line of its out: ...
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _first_fade(self, info: ValidationInfo) -> Cut:
        if _f.checking(info) and self.shots and self.title is None:
            first = self.shots[0]
            if first.transition.crossfade:
                raise _f.fail(
                    f"the first shot ({first.shot!r}) cannot cross-fade: nothing plays before it",
                    "remove its transition:, or add a `title:` card to cross-fade from",
                    "shots",
                    0,
                    "transition",
                )
        return self

    def check_shots(self, lengths: dict[str, float | None]) -> None:
        """Check the entries against the project's shots and the clip lengths they ask
        for (`lengths`, in file order); no `shots:` means every shot in file order."""
        ids = list(lengths)
        if not self.shots:
            self.shots = [CutShot(shot=s) for s in ids]
        for i, entry in enumerate(self.shots):
            length = entry.length(lengths)
            if length is not None and length <= 0:
                full = _f.number_text(lengths[entry.shot] or 0)
                raise _f.fail(
                    f"{{owner_}}in ({_f.number_text(entry.in_s or 0)} s) is at or past the end "
                    f"of the {full}-second take",
                    f"write an in: point below {full}",
                    *("cut", "shots", i, "in"),
                )
            for j, overlay in enumerate(entry.overlays):
                if length is not None and overlay.start >= length:
                    last = _f.number_text(round(length, 3))
                    raise _f.fail(
                        f"{{owner_}}starts at {_f.number_text(overlay.start)} s but the shot "
                        f"lasts {last} s",
                        f"start it before {last} s (seconds after the shot appears)",
                        *("cut", "shots", i, "overlays", j, "start"),
                    )
        self._check_crossfades(lengths)

    def _check_crossfades(self, lengths: dict[str, float | None]) -> None:
        """Each crossfade must fit inside both clips it joins, and a clip's fades in and
        out must not overlap."""
        entries = self.shots
        sizes = [e.length(lengths) for e in entries]
        for i, entry in enumerate(entries):
            if not entry.transition.crossfade:
                continue
            fade = entry.transition.duration
            before = sizes[i - 1] if i else (self.title.duration if self.title else None)
            before_name = f"shot {entries[i - 1].shot!r}" if i else "the title card"
            after = entries[i + 1].transition if i + 1 < len(entries) else None
            after_fade = after.duration if after is not None and after.crossfade else 0.0
            for other, name, extra in (
                (sizes[i], f"shot {entry.shot!r}", after_fade),
                (before, before_name, 0.0),
            ):
                if other is not None and fade + extra > other + 1e-9:
                    also = f" plus the {_f.number_text(extra)} s crossfade out of it"
                    also = also if extra else ""
                    raise _f.fail(
                        f"shot {entry.shot!r}: the {_f.number_text(fade)} s crossfade{also} is "
                        f"longer than {name} ({_f.number_text(round(other, 3))} s)",
                        "shorten the crossfade's duration:, or lengthen the clips with in:/out:",
                        *("cut", "shots", i, "transition", "duration"),
                    )

    def line_of(self, *keys: str | int) -> int | None:
        """1-based line of an entry or field in the project file, where known."""
        key = tuple(str(k) for k in keys)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None

    def set_lines(self, lines: dict[tuple[str, ...], int]) -> None:
        self._lines = dict(lines)

    @classmethod
    def default(cls, shot_ids: list[str]) -> Cut:
        """Every shot in file order, each from its best accepted take, joined by cuts."""
        return cls(shots=[CutShot(shot=s) for s in shot_ids])


def resolve(base: Path, relative: str | None) -> Path | None:
    """A path from the project file made absolute against the file's folder."""
    if relative is None:
        return None
    path = Path(relative).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


__all__ = [
    "BEST",
    "DEFAULT_CROSSFADE_S",
    "DEFAULT_DISCLOSURE",
    "POSITIONS",
    "TRANSITIONS",
    "AudioBed",
    "Card",
    "Credentials",
    "Cut",
    "CutShot",
    "Disclosure",
    "Grade",
    "Overlay",
    "TextStyle",
    "Transition",
    "resolve",
]
