"""previz: what is drawn over the scene: timed subtitles for the spoken lines, the
reference images as thumbnails in a corner, and the last frame blended in at the end.

Everything is prepared once per take (subtitle and thumbnail sprites, the fitted last
frame); per frame it is a paste or, in the last frames only, one blend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from takelab.backends._previz_scene import U8
from takelab.backends._previz_sound import Line
from takelab.backends._previz_sprites import _font, _Sprite
from takelab.errors import BackendError

END_BLEND_S = 1.0  # the last frame fades in over the clip's last second
_MAX_THUMBS = 9


def _subtitle(line: Line, width: int, size: int, colour: tuple[int, int, int]) -> _Sprite:
    """`Speaker: words` in white on a dark box, the speaker in their voice's colour;
    wrapped to two lines at most so it fits the frame."""
    font = _font(size)
    who = f"{line.speaker}: "
    words = line.text.split()
    rows: list[str] = []
    current = who
    for word in words:
        trial = f"{current}{word} " if current else f"{word} "
        if font.getlength(trial) > width * 0.8 and current.strip() and len(rows) < 1:
            rows.append(current.rstrip())
            current = f"{word} "
        else:
            current = trial
    rows.append(current.rstrip())
    pad = max(3, size // 3)
    line_h = int(size * 1.25)
    text_w = int(max(font.getlength(r) for r in rows))
    img = Image.new("RGBA", (text_w + 2 * pad, line_h * len(rows) + 2 * pad), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, img.width - 1, img.height - 1), radius=pad, fill=(10, 10, 12, 255))
    for k, row in enumerate(rows):
        y = pad + k * line_h
        if k == 0:
            d.text((pad, y), who, fill=(*colour, 255), font=font)
            d.text((pad + font.getlength(who), y), row[len(who) :], fill="white", font=font)
        else:
            d.text((pad, y), row, fill="white", font=font)
    return _Sprite.from_rgba(img)


_VOICE_COLOURS = ((255, 214, 92), (120, 210, 255), (255, 140, 160), (150, 240, 150))


class Overlay:
    """Subtitles, reference thumbnails and the end-frame blend of one take."""

    def __init__(
        self,
        width: int,
        height: int,
        bottom: int,
        frames: int,
        fps: int,
        lines: list[Line],
        reference_paths: tuple[str, ...],
        end_image_path: str | None,
    ) -> None:
        self.width, self.height, self.bottom, self.fps = width, height, bottom, fps
        size = max(10, round(min(width, height) * 0.045))
        self.subs = [
            (
                round(line.start * fps),
                round(line.end * fps),
                _subtitle(line, width, size, _VOICE_COLOURS[line.voice % len(_VOICE_COLOURS)]),
            )
            for line in lines
        ]
        self.thumbs = self._thumbnails(reference_paths)
        self.end: U8 | None = None
        self.end_from = frames
        if end_image_path:
            self.end = _fit(Path(end_image_path), width, height, "last-frame")
            self.end_from = max(1, frames - max(1, round(END_BLEND_S * fps)))
        self.frames = frames

    def _thumbnails(self, paths: tuple[str, ...]) -> list[tuple[int, int, _Sprite]]:
        """Reference images in a column down the top-right corner, each framed in white."""
        th = max(12, round(self.height * 0.14))
        gap = max(2, th // 10)
        out = []
        y = gap
        for path in paths[:_MAX_THUMBS]:
            if y + th > self.bottom:
                break
            pic = Image.fromarray(_fit(Path(path), round(th * 16 / 9), th, "reference"))
            framed = ImageOps.expand(pic, border=max(1, th // 30), fill=(240, 240, 240))
            x = self.width - framed.width - gap
            out.append((x, y, _Sprite.from_rgba(framed)))
            y += framed.height + gap
        return out

    def apply(self, out: U8, i: int) -> None:
        """Draw frame i's overlays onto `out` in place (above the caption strip)."""
        if self.end is not None and i >= self.end_from:
            span = max(1, self.frames - 1 - self.end_from)
            k = np.uint16(round(256 * min(1.0, (i - self.end_from) / span)))
            mixed = out.astype(np.uint16) * (np.uint16(256) - k) + self.end * k
            mixed >>= 8
            np.copyto(out, mixed, casting="unsafe")
        for x, y, sprite in self.thumbs:
            sprite.paste(out, x, y, self.bottom)
        for first, last, sprite in self.subs:
            if first <= i < last:
                x = (self.width - sprite.w) / 2
                sprite.paste(
                    out, x, self.bottom - sprite.h - max(4, self.height // 40), self.bottom
                )


def last_frame(path: Path) -> Image.Image:
    """The last frame of a take, where a take that extends it picks up (`extend:`)."""
    import av

    last = None
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                last = frame
            rgb = None if last is None else last.to_ndarray(format="rgb24")
    except (av.FFmpegError, OSError) as exc:
        raise BackendError("previz", f"cannot read the extended take {path}: {exc}") from exc
    if rgb is None:
        raise BackendError("previz", f"the extended take {path} has no frame")
    return Image.fromarray(np.asarray(rgb, np.uint8))


def _fit(path: Path, width: int, height: int, what: str) -> U8:
    try:
        with Image.open(path) as im:
            fitted = ImageOps.fit(im.convert("RGB"), (width, height), Image.Resampling.BICUBIC)
    except OSError as exc:
        raise BackendError("previz", f"cannot read the {what} image {path}: {exc}") from exc
    return np.asarray(fitted, np.uint8).copy()


__all__ = ["END_BLEND_S", "Overlay", "last_frame"]
