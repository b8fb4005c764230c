"""The cut laid out on one time line, in frames: where each card and take starts, how
long it plays, which part of the take, the crossfades and the overlays.

The renderer, the editing timelines and the tests all read this one layout, so the MP4
and the `.otio` / `.xml` / `.edl` / `.fcpxml` agree frame for frame.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from takelab.errors import PromptFileError
from takelab.media.io import VideoInfo, probe
from takelab.post.select import SelectedTake
from takelab.project.cut_model import Card, Cut, Overlay

log = logging.getLogger(__name__)

Kind = Literal["title", "shot", "end"]


@dataclass(frozen=True)
class PlacedOverlay:
    """An overlay with its frames on the cut's time line (end exclusive)."""

    overlay: Overlay
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """One thing on the time line: a title card, a take, or an end card.

    `start` is where it begins (inside the previous segment when it cross-fades in, for
    `fade_in` frames); it plays `frames` frames of its source from `source_in`.
    """

    kind: Kind
    name: str
    start: int
    frames: int
    fade_in: int = 0
    source_in: int = 0
    source_frames: int = 0  # frames available in the source (handles for editors)
    take: SelectedTake | None = None
    card: Card | None = None
    overlays: tuple[PlacedOverlay, ...] = ()

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def media(self) -> Path | None:
        return self.take.path if self.take else None


@dataclass
class Layout:
    """The whole cut: frame rate, frame size and segments in play order."""

    fps: float
    width: int
    height: int
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return max((s.end for s in self.segments), default=0)

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    @property
    def shots(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "shot"]


def _frames(seconds: float, fps: float) -> int:
    return math.floor(seconds * fps + 0.5)


def build_layout(
    cut: Cut,
    selected: Sequence[SelectedTake],
    project_file: Path,
    *,
    infos: dict[Path, VideoInfo] | None = None,
) -> Layout:
    """Lay out the cut: probe each take, turn seconds into frames at the first take's rate,
    and check in/out points, crossfades and overlays against the takes' real lengths."""
    if not selected:
        raise PromptFileError(project_file, "cut: there are no shots to cut", hint="add shots")
    infos = dict(infos or {})
    for sel in selected:
        if sel.path not in infos:
            infos[sel.path] = probe(sel.path)
    first = infos[selected[0].path]
    fps = first.fps or 24.0
    layout = Layout(fps=fps, width=first.width, height=first.height, segments=[])

    def fail(message: str, *keys: str | int, hint: str) -> PromptFileError:
        return PromptFileError(project_file, f"cut: {message}", line=cut.line_of(*keys), hint=hint)

    cursor = 0
    if cut.title is not None:
        n = max(1, _frames(cut.title.duration, fps))
        layout.segments.append(Segment("title", "title", 0, n, source_frames=n, card=cut.title))
        cursor = n
    for sel in selected:
        entry = sel.entry
        info = infos[sel.path]
        same_rate = abs(info.fps - fps) < 1e-3
        avail = info.frames if same_rate else math.floor(info.duration_s * fps + 1e-6)
        label = f"shot {entry.shot!r} (take {sel.take_id[:10]}, {avail / fps:.3g} s)"
        src_in = _frames(entry.in_s, fps) if entry.in_s is not None else 0
        src_out = _frames(entry.out_s, fps) if entry.out_s is not None else avail
        if src_out > avail:
            raise fail(
                f"{label}: out {entry.out_s:g} s is past the end of the take",
                "shots",
                sel.index,
                "out",
                hint=f"write out: {avail / fps:.3g} or less, or remove out: to play to the end",
            )
        if src_in >= src_out:
            raise fail(
                f"{label}: in {entry.in_s:g} s leaves nothing to play",
                "shots",
                sel.index,
                "in",
                hint=f"write an in: point below {src_out / fps:.3g} s",
            )
        frames = src_out - src_in
        fade = 0
        if entry.transition.crossfade and layout.segments:
            fade = max(1, _frames(entry.transition.duration, fps))
            prev = layout.segments[-1]
            if fade > min(frames, prev.frames - prev.fade_in):
                raise fail(
                    f"{label}: the {entry.transition.duration:g} s crossfade is longer than "
                    f"the clips it joins ({prev.name}: {prev.frames / fps:.3g} s, "
                    f"this: {frames / fps:.3g} s)",
                    "shots",
                    sel.index,
                    "transition",
                    "duration",
                    hint="shorten the crossfade, or lengthen the clips with in:/out:",
                )
        start = cursor - fade
        overlays = tuple(
            _place(ov, j, start, frames, fps, sel.index, label, layout, fail)
            for j, ov in enumerate(entry.overlays)
        )
        layout.segments.append(
            Segment(
                "shot",
                entry.shot,
                start,
                frames,
                fade_in=fade,
                source_in=src_in,
                source_frames=avail,
                take=sel,
                overlays=overlays,
            )
        )
        cursor = start + frames
    if cut.end is not None:
        n = max(1, _frames(cut.end.duration, fps))
        layout.segments.append(Segment("end", "end", cursor, n, source_frames=n, card=cut.end))
    return layout


def _place(
    overlay: Overlay,
    j: int,
    start: int,
    frames: int,
    fps: float,
    index: int,
    label: str,
    layout: Layout,
    fail: Callable[..., PromptFileError],
) -> PlacedOverlay:
    first = _frames(overlay.start, fps)
    last = _frames(overlay.end, fps) if overlay.end is not None else frames
    if first >= frames:
        raise fail(
            f"{label}: overlay {overlay.text!r} starts at {overlay.start:g} s, after the shot ends",
            "shots",
            index,
            "overlays",
            j,
            hint=f"start it before {frames / fps:.3g} s (seconds after the shot appears)",
        )
    if last > frames:
        message = (
            f"{label}: overlay {overlay.text!r} ends at {overlay.end:g} s, after the shot; "
            f"it is cut short at {frames / fps:.3g} s"
        )
        layout.warnings.append(message)
        log.warning(message)
        last = frames
    return PlacedOverlay(overlay, start + first, start + max(last, first + 1))


__all__ = ["Layout", "PlacedOverlay", "Segment", "build_layout"]
