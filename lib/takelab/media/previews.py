"""Previews of a take: an animated GIF and a contact sheet, made in one decode pass."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from takelab.errors import VideoError
from takelab.media.probe import REGENERATE, VideoInfo, open_input, probe, undecodable, video_stream


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _spread(count: int, total: int) -> list[int]:
    """`count` frame indices spread evenly over `total` frames (segment centres)."""
    return [min(total - 1, int((i + 0.5) * total / count)) for i in range(count)]


def _timestamp(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60.0)
    return f"{int(minutes)}:{secs:04.1f}"


def _collect(
    video: Path, wanted: dict[int, list[tuple[str, int, int]]]
) -> dict[tuple[str, int], NDArray[np.uint8]]:
    """One decode pass; converts only the wanted frames, each to the sizes asked for."""
    out: dict[tuple[str, int], NDArray[np.uint8]] = {}
    last = max(wanted)
    with open_input(video) as container:
        stream = video_stream(video, container)
        stream.thread_type = "AUTO"
        # Previews are a quarter of the size or less, where the deblocking filter makes no
        # visible difference; skipping it takes a fifth off the decode.
        stream.codec_context.options = {"skip_loop_filter": "all"}
        try:
            for index, frame in enumerate(container.decode(stream)):
                for kind, width, height in wanted.get(index, ()):
                    small = frame.to_ndarray(
                        width=width, height=height, format="rgb24", interpolation="AREA"
                    )
                    out[kind, index] = np.asarray(small, np.uint8)
                if index >= last:
                    break
        except av.FFmpegError as exc:
            raise undecodable(video, f"frame {len(out)}", exc) from exc
    return out


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _save_gif(frames: Sequence[NDArray[np.uint8]], dest: Path, frame_ms: float) -> None:
    # One adaptive (median-cut) palette for the whole clip, from a few frames stacked
    # together: every frame shares the GIF's global colour table, so colours do not jump
    # between frames and Pillow has no per-frame palettes to optimise.
    step = max(1, len(frames) // 4)
    sample = Image.fromarray(np.concatenate(list(frames[::step]), axis=0)).reduce(2)
    palette = sample.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [
        Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames
    ]
    dest.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(
        dest,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(frame_ms)),
        loop=0,
        optimize=False,
    )


def _speaker(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """A small loudspeaker with two sound waves, size px tall, its top left at (x, y):
    the mark of a take that has sound."""
    u = size / 8
    draw.polygon(
        [(x, y + 3 * u), (x + 2 * u, y + 3 * u), (x + 4.5 * u, y + 0.5 * u),
         (x + 4.5 * u, y + 7.5 * u), (x + 2 * u, y + 5 * u), (x, y + 5 * u)],
        fill="white",
    )  # fmt: skip
    width = max(1, round(u * 0.8))
    for r in (1.6, 3.0):
        box = (x + 4.5 * u - r * u, y + 4 * u - r * u, x + 4.5 * u + r * u, y + 4 * u + r * u)
        draw.arc(box, -45, 45, fill="white", width=width)


def _save_sheet(
    tiles: Sequence[tuple[NDArray[np.uint8], float]],
    dest: Path,
    columns: int,
    rows: int,
    sound: bool = False,
) -> None:
    tile_h, tile_w = tiles[0][0].shape[:2]
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), (0, 0, 0))
    draw = ImageDraw.Draw(sheet)
    font = _font(max(10, tile_h // 10))
    pad = max(2, tile_h // 40)
    for i, (tile, seconds) in enumerate(tiles):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        sheet.paste(Image.fromarray(tile), (x, y))
        label = _timestamp(seconds)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        box = (x + pad, y + pad)  # top left: burnt-in captions usually sit at the bottom
        text_h = int(bottom - top)
        glyph = text_h + pad if sound else 0  # room for the speaker mark after the time
        draw.rectangle(
            (box[0], box[1], box[0] + right - left + 2 * pad + glyph, box[1] + text_h + 2 * pad),
            fill=(0, 0, 0),
        )
        draw.text((box[0] + pad - left, box[1] + pad - top), label, fill="white", font=font)
        if sound:
            _speaker(draw, box[0] + right - left + 2 * pad, box[1] + pad, text_h)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, format="PNG", compress_level=1)  # zlib's default level costs 3x the time


def make_previews(
    video: str | Path,
    gif_dest: str | Path | None,
    sheet_dest: str | Path | None,
    *,
    width: int = 320,
    fps: float = 8,
    max_frames: int = 48,
    columns: int = 4,
    rows: int = 3,
    tile_width: int = 320,
) -> VideoInfo:
    """An animated GIF and a contact sheet (PNG grid with timestamps, and a speaker mark on
    each tile when the video has a sound track) in one decode pass.

    Either destination may be None to skip it. Returns the video's info.
    """
    video = Path(video)
    info = probe(video)
    total = info.frames
    aspect = info.height / info.width
    wanted: dict[int, list[tuple[str, int, int]]] = {}
    gif_idx: list[int] = []
    sheet_idx: list[int] = []
    if gif_dest is not None:
        count = max(1, min(max_frames, math.ceil(info.duration_s * fps), total))
        gif_idx = _spread(count, total)
        for i in dict.fromkeys(gif_idx):
            wanted.setdefault(i, []).append(("gif", _even(width), _even(width * aspect)))
    if sheet_dest is not None:
        sheet_idx = _spread(columns * rows, total)
        for i in dict.fromkeys(sheet_idx):
            wanted.setdefault(i, []).append(("sheet", tile_width, _even(tile_width * aspect)))
    if not wanted:
        return info
    got = _collect(video, wanted)
    if len(got) < sum(len(v) for v in wanted.values()):
        raise VideoError(video, "ended before all preview frames were decoded", hint=REGENERATE)
    if gif_dest is not None:
        frame_ms = 1000.0 * info.duration_s / len(gif_idx)
        _save_gif([got["gif", i] for i in gif_idx], Path(gif_dest), frame_ms)
    if sheet_dest is not None:
        rate = info.fps or 1.0
        tiles = [(got["sheet", i], i / rate) for i in sheet_idx]
        _save_sheet(tiles, Path(sheet_dest), columns, rows, sound=info.has_audio)
    return info


def make_preview_gif(
    video: str | Path, dest: str | Path, *, width: int = 320, fps: float = 8, max_frames: int = 48
) -> Path:
    """An animated GIF of the video (loops forever), `width` px wide, at most `max_frames`."""
    make_previews(video, dest, None, width=width, fps=fps, max_frames=max_frames)
    return Path(dest)


def make_contact_sheet(
    video: str | Path, dest: str | Path, *, columns: int = 4, rows: int = 3, tile_width: int = 320
) -> Path:
    """A PNG grid of evenly spaced frames, each labelled with its timestamp (and a speaker
    mark when the video has sound)."""
    make_previews(video, None, dest, columns=columns, rows=rows, tile_width=tile_width)
    return Path(dest)


__all__ = ["make_contact_sheet", "make_preview_gif", "make_previews"]
