"""Render a laid-out cut to H.264 MP4 with moviepy 2.

moviepy decodes the takes (`VideoFileClip`), carries the sound (the takes' own tracks and
the audio bed, mixed and brought to the loudness target in `post.mix`, as one WAV through
`AudioFileClip`) and drives the encoder (`write_videofile`, with its progress bar). The
picture of each frame is composed here with numpy from the layout's integer frame
numbers: the take or card that plays, the incoming take blended in over a crossfade, then
the Pillow-drawn overlays and disclosure label alpha-blended inside their own boxes. That
is what moviepy's CompositeVideoClip would do, at a fraction of its per-frame cost (it
converts every layer of every frame to a full-size RGBA image).

The disclosure text always goes into the file's metadata (`comment` and `description`).
Every clip opened here is closed before `render` returns, whatever happens.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from moviepy import AudioFileClip, VideoClip, VideoFileClip
from numpy.typing import NDArray

from takelab.errors import VideoError
from takelab.media.io import BT709_ARGS, X264_CRF, X264_PRESET, X264_THREADS, FrameWriter, probe
from takelab.post.grade import Grader, grader
from takelab.post.layout import Layout, Segment
from takelab.post.mix import mix, write_wav
from takelab.post.text import RGBA, card_frame, label_image, overlay_image
from takelab.project.cut_model import Card, Cut

log = logging.getLogger(__name__)

Frame = NDArray[np.uint8]
# Frame k of a layer is read at (k + EARLY) / fps: inside the frame, never on a boundary
# that float rounding could push into the neighbouring frame.
EARLY = 0.25
COLOUR_ARGS = BT709_ARGS


def output_args(metadata: Mapping[str, str]) -> list[str]:
    """ffmpeg output options: fixed H.264 quality, BT.709 yuv420p, faststart, metadata."""
    args = ["-crf", str(X264_CRF), *COLOUR_ARGS, "-movflags", "+faststart"]
    for key, value in metadata.items():
        args += ["-metadata", f"{key}={value}"]
    return args


def disclosure_metadata(cut: Cut, title: str) -> dict[str, str]:
    """The MP4 tags that carry the AI disclosure (and the piece's title)."""
    text = cut.disclosure.text
    return {"title": title, "comment": text, "description": text}


@dataclass
class _Picture:
    """A segment's pictures: frame `k` (0-based within the segment) as RGB uint8."""

    segment: Segment
    frame: Callable[[int], Frame]


@dataclass
class _Sticker:
    """Text drawn over frames [start, end): RGB premultiplied by alpha, and 1 - alpha."""

    start: int
    end: int
    x: int
    y: int
    premultiplied: NDArray[np.float32]
    transparency: NDArray[np.float32]

    @classmethod
    def of(
        cls, image: RGBA, x: int, y: int, start: int, end: int, size: tuple[int, int]
    ) -> _Sticker:
        width, height = size
        h, w = image.shape[:2]
        w, h = min(w, width - x), min(h, height - y)  # clipped to the frame
        rgba = image[:h, :w].astype(np.float32)
        alpha = rgba[..., 3:4] / 255.0
        return cls(start, end, x, y, rgba[..., :3] * alpha, 1.0 - alpha)

    def draw(self, frame: Frame) -> None:
        h, w = self.transparency.shape[:2]
        region = frame[self.y : self.y + h, self.x : self.x + w]
        region[:] = (self.premultiplied + region * self.transparency + 0.5).astype(np.uint8)


class _Compositor:
    """Composes frame k of the cut from its pictures and stickers."""

    def __init__(self, layout: Layout, pictures: list[_Picture], stickers: list[_Sticker]):
        self.layout = layout
        self.pictures = pictures
        self.stickers = stickers
        self.black = np.zeros((layout.height, layout.width, 3), np.uint8)

    def __call__(self, t: float) -> Frame:
        k = int(t * self.layout.fps + 0.5)
        playing = [p for p in self.pictures if p.segment.start <= k < p.segment.end]
        out: Frame | None = None
        for picture in playing:
            s = picture.segment
            frame = picture.frame(k - s.start)
            if out is None or not (s.fade_in and k - s.start < s.fade_in):
                out = frame.copy()
                continue
            a = (k - s.start + 0.5) / s.fade_in  # the incoming picture's share
            out = (frame * np.float32(a) + out * np.float32(1 - a) + 0.5).astype(np.uint8)
        if out is None:
            out = self.black.copy()
        for sticker in self.stickers:
            if sticker.start <= k < sticker.end:
                sticker.draw(out)
        return out


def render(
    layout: Layout,
    cut: Cut,
    dest: Path,
    *,
    base: Path,
    work_dir: Path,
    title: str,
    progress: bool = True,
) -> Path:
    """Render the cut to `dest` (H.264 yuv420p, AAC when a take or the bed has sound)."""
    grade = grader(cut.grade, base)  # reads and checks a LUT before anything is opened
    size = (layout.width, layout.height)
    opened: list[Any] = []
    try:
        pictures = [_picture(s, layout, base, grade, opened) for s in layout.segments]
        stickers = [
            _Sticker.of(*overlay_image(p.overlay, *size, base), p.start, p.end, size)
            for s in layout.segments
            for p in s.overlays
        ]
        if cut.disclosure.burn_in:
            image, x, y = label_image(cut.disclosure.text, *size)
            stickers.append(_Sticker.of(image, x, y, 0, layout.frames, size))
        # A quarter frame over N frames: moviepy writes int(duration * fps) = N frames.
        video = VideoClip(
            _Compositor(layout, pictures, stickers),
            duration=(layout.frames + EARLY) / layout.fps,
        )
        opened.append(video)
        dest.parent.mkdir(parents=True, exist_ok=True)
        work_dir.mkdir(parents=True, exist_ok=True)
        bed = _audio(layout, cut, base, work_dir, opened)
        if bed is not None:
            video = video.with_audio(bed)
        try:
            video.write_videofile(
                str(dest),
                fps=layout.fps,
                codec="libx264",
                preset=X264_PRESET,
                threads=X264_THREADS,
                audio=bed is not None,
                audio_codec="aac",
                audio_fps=48000,
                temp_audiofile_path=str(work_dir),
                ffmpeg_params=output_args(disclosure_metadata(cut, title)),
                logger="bar" if progress else None,
            )
        except (OSError, ValueError) as exc:
            dest.unlink(missing_ok=True)
            raise VideoError(dest, f"rendering failed: {exc}") from exc
    finally:
        for clip in reversed(opened):
            with contextlib.suppress(Exception):
                clip.close()
    info = probe(dest)
    if abs(info.frames - layout.frames) > 1:
        log.warning("%s has %d frames, the layout %d", dest, info.frames, layout.frames)
    return dest


def _picture(
    segment: Segment, layout: Layout, base: Path, grade: Grader | None, opened: list[Any]
) -> _Picture:
    fps = layout.fps
    if segment.card is not None:
        still = card_frame(segment.card, layout.width, layout.height, base)
        return _Picture(segment, lambda k: still)
    assert segment.media is not None
    source = VideoFileClip(str(segment.media), audio=False)
    opened.append(source)
    fit = _fitter(source.size, layout.width, layout.height)
    last = max(0.0, source.duration - 1 / fps)

    def frame(k: int) -> Frame:
        t = min((segment.source_in + k + EARLY) / fps, last + EARLY / fps)
        picture = np.asarray(source.get_frame(t), np.uint8)
        if fit is not None:
            picture = fit(picture)
        return grade(picture) if grade is not None else picture

    return _Picture(segment, frame)


def _fitter(size: tuple[int, int], width: int, height: int) -> Callable[[Frame], Frame] | None:
    """For a take of another size: scale it to fit the cut's frame, centred on black."""
    w, h = size
    if (w, h) == (width, height):
        return None
    from PIL import Image

    scale = min(width / w, height / h)
    new_w, new_h = max(2, round(w * scale)), max(2, round(h * scale))
    x, y = (width - new_w) // 2, (height - new_h) // 2

    def fit(frame: Frame) -> Frame:
        small = np.asarray(Image.fromarray(frame).resize((new_w, new_h), Image.Resampling.BILINEAR))
        out = np.zeros((height, width, 3), np.uint8)
        out[y : y + new_h, x : x + new_w] = small
        return out

    return fit


def _audio(layout: Layout, cut: Cut, base: Path, work_dir: Path, opened: list[Any]) -> Any:
    """The mixed sound as a moviepy clip (read from a WAV in `work_dir`), or None."""
    sound = mix(layout, cut, base, work_dir)
    if sound is None:
        return None
    wav = write_wav(sound, work_dir / "mix.wav")
    try:
        clip = AudioFileClip(str(wav))
    except (OSError, KeyError, IndexError) as exc:
        raise VideoError(wav, f"cannot read the mixed sound: {exc}") from exc
    opened.append(clip)
    return clip


def write_card(card: Card, layout: Layout, frames: int, dest: Path, base: Path) -> Path:
    """A card as its own short video, for the editing timelines to point at."""
    frame = card_frame(card, layout.width, layout.height, base)
    with FrameWriter(dest, layout.width, layout.height, layout.fps) as writer:
        for _ in range(frames):
            writer.write(frame)
    return dest


__all__ = ["disclosure_metadata", "output_args", "render", "write_card"]
