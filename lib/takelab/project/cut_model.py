"""The `cut:` section of a project file: which shots, in what order, from which takes,
trimmed how, joined how, with what text, sound, colour and disclosure.

Times are seconds. Paths (`audio.file`, `grade.lut`, `style.font`, `credentials`) are as
written, relative to the project file; `Cut.resolve` turns them into absolute paths.
The loader (`_cut_loader`) checks everything that can be checked without the takes and
records each entry's line, so a problem found later (a take shorter than `out:`) still
names the line to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

DEFAULT_DISCLOSURE = "Contains AI-generated footage"
BEST = "best"
POSITIONS: tuple[str, ...] = ("top", "center", "bottom", "lower-third")
TRANSITIONS: tuple[str, ...] = ("cut", "crossfade")
DEFAULT_CROSSFADE_S = 0.5

RGB = tuple[float, float, float]


class TextStyle(BaseModel):
    """How overlay or card text looks."""

    model_config = ConfigDict(extra="forbid")

    size: int | None = Field(default=None, description="text height in pixels; default H/16")
    color: str = Field(default="#ffffff", description="a colour name or #rrggbb")
    font: str | None = Field(
        default=None, description="a .ttf/.otf file (relative to the project file) or font name"
    )


class Overlay(BaseModel):
    """Text over a shot, from `start` to `end` seconds after the shot appears."""

    model_config = ConfigDict(extra="forbid")

    text: str
    position: str | tuple[float, float] = Field(
        default="lower-third",
        description="top, center, bottom, lower-third, or [x, y]: fractions of the frame "
        "where the text's top-left corner goes",
    )
    start: float = 0.0
    end: float | None = Field(default=None, description="default: the end of the shot")
    style: TextStyle = Field(default_factory=TextStyle)


class Transition(BaseModel):
    """How a shot begins: a hard cut, or a crossfade from what comes before it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["cut", "crossfade"] = "cut"
    duration: float = 0.0

    @property
    def crossfade(self) -> bool:
        return self.type == "crossfade" and self.duration > 0


class CutShot(BaseModel):
    """One entry of the cut: a shot, the take to use, its in and out points."""

    model_config = ConfigDict(extra="forbid")

    shot: str
    take: str = Field(default=BEST, description="a take id (or unique prefix), or `best`")
    in_s: float | None = Field(default=None, description="`in:` seconds into the take")
    out_s: float | None = Field(default=None, description="`out:` seconds into the take")
    transition: Transition = Field(default_factory=Transition)
    overlays: list[Overlay] = Field(default_factory=list)

    @property
    def best(self) -> bool:
        return self.take == BEST


class Card(BaseModel):
    """A title or end card: text on a plain background."""

    model_config = ConfigDict(extra="forbid")

    text: str
    duration: float = 2.0
    background: str = "#000000"
    style: TextStyle = Field(default_factory=TextStyle)


class AudioBed(BaseModel):
    """A sound file under the whole cut."""

    model_config = ConfigDict(extra="forbid")

    file: str
    fade_in: float = 0.0
    fade_out: float = 0.0
    level: float = Field(default=0.0, description="gain in dB (0 = as is, -6 = half)")


class Grade(BaseModel):
    """A colour grade on the footage (not the cards or text): a .cube LUT, or lift, gamma
    and gain per channel (0, 1, 1 change nothing)."""

    model_config = ConfigDict(extra="forbid")

    lut: str | None = None
    lift: RGB = (0.0, 0.0, 0.0)
    gamma: RGB = (1.0, 1.0, 1.0)
    gain: RGB = (1.0, 1.0, 1.0)

    @property
    def identity(self) -> bool:
        return self.lut is None and self.lift == (0, 0, 0) and self.gamma == self.gain == (1, 1, 1)


class Disclosure(BaseModel):
    """The AI-disclosure label: always in the file's metadata, burnt in unless told not."""

    model_config = ConfigDict(extra="forbid")

    text: str = DEFAULT_DISCLOSURE
    burn_in: bool = True


class Credentials(BaseModel):
    """Where the C2PA signing certificate chain, its key and trust anchors are."""

    model_config = ConfigDict(extra="forbid")

    cert: str
    key: str
    trust: str | None = None


class Cut(BaseModel):
    """The cut section of a project file."""

    model_config = ConfigDict(extra="forbid")

    shots: list[CutShot]
    title: Card | None = None
    end: Card | None = None
    audio: AudioBed | None = None
    loudness: float | None = Field(
        default=-14.0, description="loudness target of the mix in LUFS; None leaves it as is"
    )
    grade: Grade | None = None
    disclosure: Disclosure = Field(default_factory=Disclosure)
    credentials: Credentials | None = None

    # ("shots", "0") -> line of the entry; ("shots", "0", "out") -> line of its out: ...
    _lines: dict[tuple[str, ...], int] = PrivateAttr(default_factory=dict)

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
