"""The cut as an editing timeline: OpenTimelineIO, exported through OTIO's adapters as
`.otio`, Final Cut Pro 7 XML (`.xml`, opens in Premiere), CMX 3600 (`.edl`) and FCPXML
(`.fcpxml`, opens in Resolve and Final Cut Pro).

Clips point at the take files by absolute `file://` URL (and carry the take id as the EDL
reel name), so an editor relinks nothing; cards point at small card videos written beside
the cut. Overlays become markers holding their text. The takes' own sound is an audio
track (A1) cut like the picture, gaps where a card or a silent take plays; the audio bed
is an audio track of its own.
A crossfade is an OTIO transition centred on its cut; FCPXML (whose adapter has no
transitions) gets the cut alone, at the same frame.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import opentimelineio as otio

from takelab.media.io import has_audio as has_sound
from takelab.post.layout import Layout, Segment
from takelab.project.cut_model import Cut, resolve

FORMATS: dict[str, str] = {
    "otio": "otio_json",
    "xml": "fcp_xml",
    "edl": "cmx_3600",
    "fcpxml": "fcpx_xml",
}
CARD_REELS = {"title": "TITLE", "end": "ENDCARD"}


def _time(frames: float, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def _range(start: float, frames: float, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start, rate), _time(frames, rate))


def _crossfade(lead: int, frames: int, rate: float) -> otio.schema.Transition:
    """A dissolve of `frames` frames, `lead` of them before the cut."""
    return otio.schema.Transition(
        name="crossfade",
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=_time(lead, rate),
        out_offset=_time(frames - lead, rate),
    )


def build_timeline(
    layout: Layout,
    cut: Cut,
    *,
    name: str,
    base: Path,
    cards: dict[str, Path],
    audio_s: float | None = None,
) -> otio.schema.Timeline:
    """The OTIO timeline of a laid-out cut. `cards` maps "title"/"end" to card videos;
    `audio_s` is the audio bed's length in seconds (for its available range)."""
    rate = layout.fps
    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = _time(0, rate)
    timeline.metadata["takelab"] = {
        "disclosure": cut.disclosure.model_dump(),
        "grade": cut.grade.model_dump() if cut.grade else None,
        "fps": rate,
        "size": [layout.width, layout.height],
    }
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    segments = layout.segments
    for i, segment in enumerate(segments):
        lead = segment.fade_in // 2  # frames before the cut: the transition's in_offset
        after = segments[i + 1].fade_in if i + 1 < len(segments) else 0
        tail = after - after // 2  # frames after the next cut: the next out_offset
        if segment.fade_in:
            video.append(_crossfade(lead, segment.fade_in, rate))
        video.append(_clip(segment, layout, cards, lead, tail))
    timeline.tracks.append(video)
    takes = _take_sound(layout, cards)
    if takes is not None:
        timeline.tracks.append(takes)
    if cut.audio is not None:
        path = resolve(base, cut.audio.file)
        assert path is not None
        available = round((audio_s or layout.duration_s) * rate)
        frames = min(available, layout.frames)
        clip = otio.schema.Clip(
            name=path.name,
            media_reference=otio.schema.ExternalReference(
                target_url=path.as_uri(), available_range=_range(0, available, rate)
            ),
            source_range=_range(0, frames, rate),
        )
        clip.metadata["takelab"] = cut.audio.model_dump()
        name = "A2" if takes is not None else "A1"
        audio = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        audio.append(clip)
        timeline.tracks.append(audio)
    return timeline


def _take_sound(layout: Layout, cards: dict[str, Path]) -> otio.schema.Track | None:
    """The takes' sound as an audio track cut at the picture's frames (a crossfade between
    two takes with sound is a dissolve here too); None if no take has sound."""
    segments = layout.segments
    sounding = [s.take is not None and has_sound(s.take.path) for s in segments]
    if not any(sounding):
        return None
    rate = layout.fps
    track = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for i, segment in enumerate(segments):
        lead = segment.fade_in // 2
        after = segments[i + 1].fade_in if i + 1 < len(segments) else 0
        tail = after - after // 2
        if not sounding[i]:
            track.append(
                otio.schema.Gap(source_range=_range(0, segment.frames - lead - tail, rate))
            )
            continue
        if segment.fade_in and i and sounding[i - 1]:
            track.append(_crossfade(lead, segment.fade_in, rate))
        clip = _clip(segment, layout, cards, lead, tail)
        clip.markers.clear()  # the overlays' markers stay on the picture
        track.append(clip)
    return track


def _clip(
    segment: Segment, layout: Layout, cards: dict[str, Path], lead: int, tail: int
) -> otio.schema.Clip:
    rate = layout.fps
    if segment.take is not None:
        media = segment.take.path
        take = segment.take.take
        meta: dict[str, Any] = {
            "take_id": take.take_id,
            "shot": take.shot,
            "variant": take.variant,
            "backend": take.backend,
            "model": take.model,
            "seed": take.seed,
            "prompt": take.request.prompt,
            "parent_take": take.request.extend,  # the take this one extends, if any
        }
        reel = take.take_id[:8].upper()
    else:
        media = cards[segment.kind]
        meta = {"card": segment.kind, "text": segment.card.text if segment.card else ""}
        reel = CARD_REELS.get(segment.kind, "AX")
    clip = otio.schema.Clip(
        name=segment.name,
        media_reference=otio.schema.ExternalReference(
            target_url=media.resolve().as_uri(),
            available_range=_range(0, segment.source_frames or segment.frames, rate),
        ),
        source_range=_range(segment.source_in + lead, segment.frames - lead - tail, rate),
    )
    clip.metadata["takelab"] = meta
    clip.metadata["cmx_3600"] = {"reel": reel}
    for placed in segment.overlays:
        offset = placed.start - segment.start  # frames after the segment starts
        marker = otio.schema.Marker(
            name=placed.overlay.text,
            marked_range=_range(segment.source_in + offset, placed.end - placed.start, rate),
            color=otio.schema.MarkerColor.YELLOW,
        )
        marker.metadata["takelab"] = placed.overlay.model_dump(mode="json")
        clip.markers.append(marker)
    return clip


def export_timelines(timeline: otio.schema.Timeline, stem: Path) -> dict[str, Path]:
    """Write `<stem>.otio`, `.xml`, `.edl` and `.fcpxml`; returns them by extension."""
    out: dict[str, Path] = {}
    for ext, adapter in FORMATS.items():
        path = stem.with_name(f"{stem.name}.{ext}")
        # Adapters may edit what they write (the EDL writer moves cut points): a copy each.
        otio.adapters.write_to_file(copy.deepcopy(timeline), str(path), adapter_name=adapter)
        if ext == "edl":
            _name_dissolve_sources(path)
            _mark_sound(path, _sounding_reels(timeline))
        out[ext] = path
    return out


def _name_dissolve_sources(path: Path) -> None:
    """After each dissolve's `* TO CLIP:` line, repeat the incoming file as an OTIO
    reference, which OTIO's EDL reader (unlike editors) needs to link the incoming clip."""
    lines = []
    for line in path.read_text().splitlines():
        lines.append(line)
        if line.startswith("* TO CLIP: "):
            lines.append("* OTIO REFERENCE TO: " + line.removeprefix("* TO CLIP: "))
    path.write_text("\n".join(lines) + "\n")


def _sounding_reels(timeline: otio.schema.Timeline) -> set[str]:
    """The EDL reel names of the clips on the takes' sound track (A1)."""
    reels: set[str] = set()
    for track in timeline.audio_tracks():
        if track.name == "A1":
            for clip in track.find_clips():
                reel = clip.metadata.get("cmx_3600", {}).get("reel")
                if reel and "take_id" in clip.metadata.get("takelab", {}):
                    reels.add(str(reel))
    return reels


_EVENT = re.compile(r"^(\d{3,}\s+)(\S+)(\s+)V(\s+)")


def _mark_sound(path: Path, reels: set[str]) -> None:
    """OTIO's EDL writer drops audio tracks; a take with sound plays its picture and its
    stereo sound together, which CMX 3600 writes as the event's channel `AA/V`."""
    if not reels:
        return
    lines = []
    for line in path.read_text().splitlines():
        m = _EVENT.match(line)
        if m and m[2] in reels:
            pad = " " * max(1, len(m[4]) - 3)
            line = f"{m[1]}{m[2]}{m[3]}AA/V{pad}{line[m.end() :]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def read_timeline(path: Path, rate: float) -> otio.schema.Timeline:
    """Read an exported timeline back with the adapter for its extension."""
    adapter = FORMATS[path.suffix.lstrip(".")]
    kwargs = {"rate": rate} if adapter == "cmx_3600" else {}
    result = otio.adapters.read_from_file(str(path), adapter_name=adapter, **kwargs)
    if isinstance(result, otio.schema.SerializableCollection):  # fcpxml: a list of projects
        result = next(iter(result.find_children(descendant_type=otio.schema.Timeline)))
    assert isinstance(result, otio.schema.Timeline)
    return result


@dataclass(frozen=True)
class ClipTimes:
    """Where a clip plays, in frames, with every crossfade's cut at its middle frame:
    formats place a crossfade's cut differently (an EDL at its start, FCPXML drops it)."""

    name: str
    url: str
    source_start: int
    source_end: int
    record_start: int
    record_end: int


def clip_times(timeline: otio.schema.Timeline) -> list[ClipTimes]:
    """The video clips of a timeline with comparable times (see ClipTimes)."""
    rows: list[list[Any]] = []
    for track in timeline.video_tracks():
        pending_shift = 0
        for child in track:
            if isinstance(child, otio.schema.Transition):
                rate = child.in_offset.rate
                fade = round(child.in_offset.value + child.out_offset.value)
                pending_shift = fade // 2 - round(child.in_offset.to_frames(rate))
                if rows:
                    rows[-1][3] += pending_shift
                    rows[-1][5] += pending_shift
                continue
            if not isinstance(child, otio.schema.Clip):
                pending_shift = 0
                continue
            rate = child.source_range.duration.rate
            rec = track.range_of_child(child)
            src = child.source_range
            ref = child.media_reference
            rows.append(
                [
                    child.name,
                    getattr(ref, "target_url", "") or "",
                    src.start_time.to_frames(rate) + pending_shift,
                    src.end_time_exclusive().to_frames(rate),
                    rec.start_time.to_frames(rate) + pending_shift,
                    rec.end_time_exclusive().to_frames(rate),
                ]
            )
            pending_shift = 0
    return [ClipTimes(*row) for row in rows]


__all__ = [
    "FORMATS",
    "ClipTimes",
    "build_timeline",
    "clip_times",
    "export_timelines",
    "read_timeline",
]
