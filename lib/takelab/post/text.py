"""Text for the cut drawn with Pillow: overlays, title and end cards, the disclosure label.

Text becomes an RGBA image placed over the video (moviepy's ImageClip), which needs no
ImageMagick and no particular font: a font named in the project file, else DejaVu Sans
where installed, else the font bundled with Pillow.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageColor, ImageDraw, ImageFont

from takelab.project.cut_model import Card, Overlay, TextStyle

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGBA = NDArray[np.uint8]
FALLBACK_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf")
MARGIN = 0.06  # of the frame height: the title-safe margin text keeps from the edges


@lru_cache(maxsize=64)
def load_font(name: str | None, size: int, base: str = ".") -> Font:
    """The font `name` (a file relative to `base`, or an installed font's file name) at
    `size` pixels; without a name, DejaVu Sans or Pillow's own font."""
    candidates: list[str] = []
    if name:
        path = Path(name) if Path(name).is_absolute() else Path(base) / name
        candidates += [str(path), name]
    candidates += list(FALLBACK_FONTS)
    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> str:
    """Break lines at spaces so none is wider than `width` pixels."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words = paragraph.split()
        line = ""
        for word in words:
            trial = f"{line} {word}".strip()
            if line and draw.textlength(trial, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def text_image(
    text: str,
    font: Font,
    color: str,
    *,
    max_width: float,
    box: tuple[int, int, int, int] | None = None,
    align: str = "left",
) -> RGBA:
    """`text` drawn on a transparent image just big enough for it, with a dark outline
    (legible on any footage) or a `box` background colour (RGBA)."""
    scratch = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    size = getattr(font, "size", 12)
    stroke = 0 if box else max(1, round(size / 16))
    wrapped = _wrap(scratch, text, font, max_width)
    left, top, right, bottom = scratch.multiline_textbbox(
        (0, 0), wrapped, font=font, stroke_width=stroke, align=align
    )
    pad = round(size * 0.3) if box else stroke
    w, h = math.ceil(right - left) + 2 * pad, math.ceil(bottom - top) + 2 * pad
    image = Image.new("RGBA", (max(1, w), max(1, h)), box or (0, 0, 0, 0))
    ImageDraw.Draw(image).multiline_text(
        (pad - left, pad - top),
        wrapped,
        font=font,
        fill=ImageColor.getrgb(color),
        stroke_width=stroke,
        stroke_fill=(0, 0, 0),
        align=align,
    )
    return np.asarray(image, np.uint8)


def _size(style: TextStyle, height: int, share: float) -> int:
    return style.size or max(10, round(height * share))


def overlay_image(overlay: Overlay, width: int, height: int, base: Path) -> tuple[RGBA, int, int]:
    """An overlay's image and the pixel position of its top-left corner."""
    style = overlay.style
    font = load_font(style.font, _size(style, height, 1 / 16), str(base))
    lower_third = overlay.position == "lower-third"
    image = text_image(
        overlay.text,
        font,
        style.color,
        max_width=width * (1 - 2 * MARGIN),
        box=(0, 0, 0, 150) if lower_third else None,
        align="left" if lower_third or isinstance(overlay.position, tuple) else "center",
    )
    h, w = image.shape[:2]
    margin = round(height * MARGIN)
    if isinstance(overlay.position, tuple):
        x, y = round(overlay.position[0] * width), round(overlay.position[1] * height)
    elif overlay.position == "top":
        x, y = (width - w) // 2, margin
    elif overlay.position == "center":
        x, y = (width - w) // 2, (height - h) // 2
    elif overlay.position == "bottom":
        x, y = (width - w) // 2, height - h - margin
    else:  # lower-third: left-aligned, its top two thirds down the frame
        x, y = margin, round(height * 2 / 3)
    # keep it in the picture: a long text at x: 0.9 would otherwise run off the edge
    return image, max(0, min(x, width - w)), max(0, min(y, height - h))


def label_image(text: str, width: int, height: int) -> tuple[RGBA, int, int]:
    """The disclosure label: small, boxed, in the bottom-right corner."""
    font = load_font(None, max(10, round(height / 36)))
    image = text_image(text, font, "#ffffff", max_width=width / 2, box=(0, 0, 0, 140))
    h, w = image.shape[:2]
    margin = round(height * MARGIN / 2)
    return image, width - w - margin, height - h - margin


def card_frame(card: Card, width: int, height: int, base: Path) -> NDArray[np.uint8]:
    """A title or end card as one RGB frame: centred text on its background colour."""
    frame = Image.new("RGB", (width, height), ImageColor.getrgb(card.background))
    font = load_font(card.style.font, _size(card.style, height, 1 / 10), str(base))
    image = text_image(
        card.text, font, card.style.color, max_width=width * (1 - 4 * MARGIN), align="center"
    )
    h, w = image.shape[:2]
    text = Image.fromarray(image, "RGBA")
    frame.paste(text, ((width - w) // 2, (height - h) // 2), text)
    return np.asarray(frame, np.uint8)


__all__ = ["card_frame", "label_image", "load_font", "overlay_image", "text_image"]
