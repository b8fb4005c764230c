"""previz: the shapes and labels drawn once per take and pasted into every frame."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from takelab.backends._previz_scene import RGB, U8, U16, Motion, Subject


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _smooth(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, *, max_lines: int
) -> list[str]:
    """`text` broken into at most `max_lines` lines no wider than `width` pixels, the last
    one cut with "..." when the text is longer."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words and lines:
        last = lines[-1]
        while last and font.getlength(last + "...") > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last + "..."
    return lines


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class _Sprite:
    """A small picture for fast pasting: opaque pixels are copied, only edges are blended.

    Opaque pixels go in with two bitwise passes (AND a keep-mask, OR the colour), far
    cheaper than a masked copy or a full alpha blend; antialiased edge pixels are blended
    one by one through index arrays.
    """

    def __init__(
        self,
        rgb: U8,
        alpha: U8,
        anchor: tuple[float, float] = (0.0, 0.0),
        edge: RGB | None = None,
    ) -> None:
        rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        if rows.size == 0:
            rows = cols = np.zeros(1, np.intp)
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        a, rgb = alpha[y0:y1, x0:x1], rgb[y0:y1, x0:x1]
        self.ox, self.oy = x0 - anchor[0], y0 - anchor[1]  # crop corner relative to anchor
        self.h, self.w = a.shape
        solid = a == 255
        keep = np.where(solid, np.uint8(0), np.uint8(255))
        self.keep: U8 = np.stack([keep, keep, keep], axis=-1)
        self.rgb: U8 = rgb * np.stack([solid, solid, solid], axis=-1)
        flat = np.flatnonzero((a - np.uint8(1)) < 254)  # 0 < alpha < 255
        self.ey, self.ex = np.divmod(flat, self.w)
        ea = a.ravel()[flat].astype(np.uint16)
        ea += ea >> 7  # 0..256
        colour = np.array([edge], np.uint16) if edge else rgb.reshape(-1, 3)[flat].astype(np.uint16)
        self.e_pm: U16 = ((colour * ea[:, None]) >> 8).astype(np.uint16)
        self.e_inv: U16 = (np.uint16(256) - ea)[:, None]

    def paste(self, frame: U8, ax: float, ay: float, bottom: int) -> None:
        """Paste with the anchor at (ax, ay), clipped to the frame above row `bottom`."""
        x, y = round(ax + self.ox), round(ay + self.oy)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + self.w, frame.shape[1]), min(y + self.h, bottom)
        if x0 >= x1 or y0 >= y1:
            return
        sy, sx = slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)
        region = frame[y0:y1, x0:x1]
        np.bitwise_and(region, self.keep[sy, sx], out=region)
        np.bitwise_or(region, self.rgb[sy, sx], out=region)
        ys, xs, pm, inv = self.ey + y, self.ex + x, self.e_pm, self.e_inv
        if (x0, y0, x1, y1) != (x, y, x + self.w, y + self.h):
            keep = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
            ys, xs, pm, inv = ys[keep], xs[keep], pm[keep], inv[keep]
        mix = frame[ys, xs] * inv
        mix >>= 8
        mix += pm
        frame[ys, xs] = mix

    @classmethod
    def from_rgba(cls, image: Image.Image) -> _Sprite:
        rgba = np.asarray(image.convert("RGBA"))
        return cls(np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]))


Polygon = NDArray[np.float64]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 48) -> Polygon:
    t = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + max(rx, 0.5) * np.cos(t), cy + max(ry, 0.5) * np.sin(t)], axis=1)


def _rounded(x0: float, y0: float, x1: float, y1: float, r: float) -> Polygon:
    r = max(0.5, min(r, (x1 - x0) / 2, (y1 - y0) / 2))
    arcs = []
    for cx, cy, start in ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90)):
        t = np.radians(np.linspace(start, start + 90, 10))
        arcs.append(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1))
    t = np.radians(np.linspace(180, 270, 10))
    arcs.append(np.stack([x0 + r + r * np.cos(t), y0 + r + r * np.sin(t)], axis=1))
    return np.concatenate(arcs)


def _parts(kind: str, w: float, h: float, inset: float) -> list[Polygon]:
    """The polygons of a subject's shape in a w x h box, shrunk by `inset` (for the outline)."""
    i = inset
    if kind == "figure":
        head = 0.12 * h
        return [
            _ellipse(w / 2, head, head - i, head - i),
            _rounded(i, 0.25 * h + i, w - i, h - i, w / 3 - i),
        ]
    if kind == "animal":
        return [
            _ellipse(0.4 * w, 0.675 * h, 0.4 * w - i, 0.325 * h - i),
            _ellipse(0.81 * w, 0.275 * h, 0.19 * w - i, 0.275 * h - i),
        ]
    return [_ellipse(w / 2, h / 2, w / 2 - i, h / 2 - i)]


def _draw_shape(kind: str, colour: RGB, height: int, angle: float) -> _Sprite:
    """A subject's shape with a darker outline, rotated about its feet; the coverage mask is
    drawn at twice the size and reduced, for smooth edges."""
    h = float(max(4, height))
    w = h * {"figure": 0.4, "animal": 1.5}.get(kind, 0.8)
    outer, inner = _parts(kind, w, h, 0.0), _parts(kind, w, h, max(1.0, h / 90))
    anchor = np.array([w / 2, h])
    if angle:
        a = math.radians(-angle)
        rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
        outer = [(p - anchor) @ rot + anchor for p in outer]
        inner = [(p - anchor) @ rot + anchor for p in inner]
    points = np.concatenate(outer)
    lo = np.floor(points.min(axis=0)) - 2
    width, height_px = (np.ceil(points.max(axis=0)) + 2 - lo).astype(int)
    mask = Image.new("L", (2 * width, 2 * height_px))
    d = ImageDraw.Draw(mask)
    for p in outer:
        d.polygon(((p - lo) * 2).ravel().tolist(), fill=255)
    rgb = Image.new("RGB", (width, height_px))
    r, g, b = colour
    dark = 0.3 * r + 0.59 * g + 0.11 * b < 60  # a dark subject gets a light rim to stand out
    edge = (
        (min(255, r + 80), min(255, g + 80), min(255, b + 80)) if dark else (r // 2, g // 2, b // 2)
    )
    d = ImageDraw.Draw(rgb)
    for polygons, fill in ((outer, edge), (inner, colour)):
        for p in polygons:
            d.polygon((p - lo).ravel().tolist(), fill=fill)
    ax, ay = anchor - lo
    return _Sprite(np.asarray(rgb), np.asarray(mask.reduce(2)), (ax, ay), edge)


def _label(text: str, size: int) -> _Sprite:
    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    pad = max(2, size // 3)
    img = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, img.width - 1, img.height - 1), radius=pad, fill=(28, 28, 32, 255))
    d.text((pad - left, pad - top), text, fill=(255, 255, 255, 255), font=font)
    return _Sprite.from_rgba(img)


@dataclass(frozen=True)
class _Layout:
    """A subject placed on screen: anchor (feet) as frame fractions, height as a share of H."""

    subject: Subject
    colour: RGB
    x: float
    y: float
    height: float
    motion: Motion
