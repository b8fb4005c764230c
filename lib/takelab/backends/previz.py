"""previz: the built-in offline renderer that turns a take request into a rough animatic.

Background and light come from the lighting text (and its change over time), subjects are
labelled shapes moving as the action says, the camera move is applied to the whole scene,
and a caption names the shot. It costs nothing, needs no key, and the same request always
gives the same bytes.

Speed comes from doing the drawing once: backgrounds, sprites and text are painted before
the first frame, and each frame is a crop (or a nearest-neighbour resize) of a
precomputed canvas plus a few small alpha pastes, handed to ffmpeg while it encodes the
previous one.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, ImageOps

from takelab.backends._base import Backend, Capabilities, JobState, JobStatus, TakeRequest
from takelab.errors import BackendError
from takelab.home import Home
from takelab.media import FrameWriter
from takelab.shots import ASPECTS, RESOLUTIONS, frame_size

FPS = 24
LIGHT_STEPS = 32  # the light changes in this many steps: smooth to the eye, cheap to cache
SIZE_STEP = 1.015  # subjects grow and shrink in steps of this factor (each size is cached)
RGB = tuple[int, int, int]
U8 = NDArray[np.uint8]
U16 = NDArray[np.uint16]

# --- reading the text -----------------------------------------------------------------


@dataclass(frozen=True)
class Light:
    """One state of the scene's light: sky, ground, glows (x, y, radius, colour), windows."""

    sky_top: RGB
    horizon: RGB
    ground: RGB
    glows: tuple[tuple[float, float, float, RGB], ...] = ()
    windows: float = 0.0  # share of skyline windows lit
    window_colours: tuple[RGB, ...] = ((255, 205, 130),)
    level: float = 1.0  # overall brightness
    haze: float = 0.0  # pull towards grey (rain, fog)

    @property
    def ambient(self) -> float:
        """How brightly the subjects are lit, 0.3-1."""
        r, g, b = self.horizon
        return min(1.0, max(0.3, (0.3 * r + 0.59 * g + 0.11 * b) * self.level / 180))


PALETTES: dict[str, Light] = {
    "day": Light(
        (96, 152, 224), (196, 222, 244), (118, 124, 118), ((0.8, 0.1, 0.07, (255, 250, 220)),)
    ),
    "golden": Light(
        (236, 140, 64), (255, 206, 132), (138, 92, 58), ((0.72, 0.5, 0.14, (255, 190, 80)),), 0.1
    ),
    "dusk": Light(
        (26, 26, 72), (140, 72, 88), (36, 28, 40), ((0.72, 0.64, 0.1, (255, 110, 60)),), 0.5
    ),
    "night": Light(
        (6, 10, 36),
        (24, 30, 78),
        (14, 14, 30),
        ((0.22, 0.5, 0.12, (255, 40, 200)), (0.75, 0.46, 0.11, (40, 220, 255))),
        0.7,
        ((255, 80, 210), (60, 220, 255), (255, 205, 130)),
    ),
    "overcast": Light((146, 150, 156), (188, 190, 194), (98, 100, 104), (), 0.05, haze=0.2),
    "snow": Light((196, 210, 228), (236, 240, 246), (234, 238, 244), (), 0.05),
    "fire": Light(
        (18, 8, 4),
        (58, 24, 10),
        (34, 16, 8),
        ((0.5, 0.62, 0.22, (255, 140, 40)),),
        0.3,
        ((255, 170, 80),),
    ),
    "dawn": Light(
        (64, 84, 148), (248, 168, 150), (70, 64, 76), ((0.3, 0.64, 0.1, (255, 190, 150)),), 0.3
    ),
}

_PALETTE_WORDS = (
    ("fire", r"\b(candle\w*|fire|firelight|fireplace|torch\w*|lantern\w*|campfire|hearth)\b"),
    ("night", r"\b(night\w*|neon|midnight|moon\w*|starlight|starry)\b"),
    ("golden", r"\b(golden hour|golden light|sunset|sundown|magic hour)\b"),
    ("dawn", r"\b(dawn|sunrise|daybreak|first light)\b"),
    ("dusk", r"\b(dusk|twilight|blue hour|nightfall)\b"),
    ("snow", r"\b(snow\w*|winter|frost\w*|blizzard)\b"),
    ("overcast", r"\b(overcast|gr[ae]y|cloudy|clouds|fog\w*|mist\w*|rain|rainy|raining|drizzle)\b"),
    ("day", r"\b(day\w*|sunny|sunlight|sunlit|noon|midday|morning|afternoon)\b"),
)


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


def palette_name(text: str) -> str | None:
    """The palette a piece of lighting text names, or None."""
    for name, pattern in _PALETTE_WORDS:
        if _has(text.lower(), pattern):
            return name
    return None


def parse_light(text: str) -> tuple[Light, Light, bool]:
    """Start light, end light, and whether the change flickers (lights coming on)."""
    t = text.lower()
    m = re.search(r"\bfrom ([\w\s-]+?) (?:to|into) ([\w\s-]+)", t)
    if m and palette_name(m[1]) and palette_name(m[2]):
        return PALETTES[palette_name(m[1]) or "day"], PALETTES[palette_name(m[2]) or "day"], False
    name = palette_name(t) or "day"
    base = PALETTES[name]
    if _has(t, r"\bsun (is )?(setting|sets|going down|goes down|sinking)|\b(night|dark\w*) fall"):
        return (PALETTES["golden"] if name != "dusk" else base), PALETTES["dusk"], False
    if _has(t, r"\b(dawn|day) break|\bsun (is )?(rising|rises|comes up|coming up)\b"):
        return replace(PALETTES["night"], glows=(), windows=0.2), PALETTES["dawn"], False
    if _has(t, r"\brain (is )?(easing|eases|stops|stopping|clearing)|\bclear(s|ing)\b|clouds part"):
        return replace(base, haze=0.45, level=base.level * 0.8), base, False
    lamps = r"\b(lights?|signs?|lamps?|neon|windows?|streetlights?|bulbs?)"
    if _has(t, lamps + r" (flicker\w*|come|comes|coming|turn\w*|switch\w*|blink\w*) on\b"):
        off = replace(base, level=base.level * 0.55, windows=0.0, glows=())
        return off, replace(base, windows=max(base.windows, 0.8)), True
    if _has(t, r"\b(fad(e|es|ing)|dimm\w*|darken\w*|goes dark|lights? go(es)? out)\b"):
        return base, replace(base, level=base.level * 0.35), False
    if _has(t, r"\b(brighten\w*|getting brighter|lightens|light grows)\b"):
        return replace(base, level=base.level * 0.5), base, False
    if _has(t, r"\bstorm (rolls?|rolling|gathers|gathering)|clouds (gather|roll)"):
        return base, replace(PALETTES["overcast"], level=0.75, haze=0.4), False
    return base, base, False


_COLOURS: dict[str, RGB] = {
    "red": (210, 38, 38), "crimson": (180, 20, 40), "orange": (240, 130, 30),
    "yellow": (240, 208, 40), "gold": (220, 180, 60), "golden": (220, 180, 60),
    "green": (50, 170, 70), "teal": (30, 150, 150), "cyan": (40, 200, 220),
    "blue": (40, 90, 210), "navy": (30, 40, 110), "purple": (130, 60, 190),
    "violet": (140, 80, 210), "pink": (240, 120, 180), "magenta": (220, 40, 180),
    "white": (236, 236, 236), "silver": (190, 195, 200), "grey": (128, 128, 128),
    "gray": (128, 128, 128), "black": (30, 30, 34), "brown": (120, 80, 45),
}  # fmt: skip
_DEFAULT_COLOURS: tuple[RGB, ...] = ((210, 38, 38), (240, 208, 40), (50, 170, 70), (240, 120, 180))
_FIGURE = (
    r"\b(wom[ae]n|m[ae]n|person|people|girl|boy|child|kid|baby|lady|guy|he|she|figure"
    r"|dancer|runner|hero|knight|soldier|warrior|astronaut|chef|worker|farmer|officer"
    r"|detective|doctor|nurse|student|teacher|musician|singer|skater|surfer|cyclist|rider"
    r"|king|queen|prince|princess|robot|mother|father|grand\w+|couple|character)\b"
)
_ANIMAL = r"\b(cat|dog|bird|horse|fox|deer|wolf|rabbit|kitten|puppy|cow|bear|tiger|lion)\b"


@dataclass(frozen=True)
class Subject:
    """A subject as drawn: its label, colour (None: chosen by the seed) and shape kind."""

    label: str
    colour: RGB | None
    kind: str  # "figure", "animal" or "thing"


def parse_subject(text: str) -> Subject:
    """Label, colour word and shape kind of a subject description."""
    t = text.lower()
    colour = next((c for w, c in _COLOURS.items() if _has(t, rf"\b{w}\b")), None)
    kind = "figure" if _has(t, _FIGURE) else "animal" if _has(t, _ANIMAL) else "thing"
    label = " ".join(text.split())
    return Subject(label if len(label) <= 34 else label[:33].rstrip() + "…", colour, kind)


@dataclass(frozen=True)
class Motion:
    """How the primary subject moves over the clip."""

    depth: float = 0.0  # growth over the move: + toward the camera, - away
    dx: float = 0.0  # horizontal travel, share of the frame width
    bounce: float = 0.0  # jump height, share of the subject's height
    turn: float = 0.0  # degrees turned by the end of the gesture
    look_up: bool = False
    hold: float = 1.0  # share of the clip the move takes; then it pauses
    walking: bool = False


def parse_motion(text: str) -> Motion:
    """Read the action text: direction, pauses, jumps, turns."""
    t = text.lower()
    speed = 1.5 if _has(t, r"\b(runs?|running|sprint\w*|rush\w*|fast|quickly)\b") else 1.0
    walking = _has(t, r"\b(walk\w*|run\w*|jog\w*|stroll\w*|march\w*|strid\w*|wander\w*|steps?)\b")
    depth = dx = 0.0
    if _has(t, r"\b(towards?|approach\w*|closer|into (the )?(camera|lens))\b"):
        depth = 0.8
    elif _has(t, r"\b(away|into the distance|recede\w*|retreat\w*)\b"):
        depth = -0.45
    travel = re.sub(r"\b(turn|look|glanc)\w*\s+(to\s+)?(the\s+|her\s+|his\s+)?(left|right)", "", t)
    if _has(travel, r"from (the )?right to (the )?left|\bleft\b"):
        dx = -0.45
    elif _has(travel, r"from (the )?left to (the )?right|\bright\b|\bacross\b"):
        dx = 0.45
    elif walking and depth == 0.0:
        dx = 0.15
    turn = 0.0
    if _has(t, r"\b(turn\w*|looks? around|glanc\w*)\b"):
        turn = -10.0 if _has(t, r"turn\w* (to (the )?)?right") else 10.0
    return Motion(
        depth=depth * speed,
        dx=max(-0.7, min(0.7, dx * speed)),
        bounce=0.18 if _has(t, r"\b(jump\w*|bounc\w*|hop\w*|leap\w*|danc\w*|skip\w*)\b") else 0.0,
        turn=turn,
        look_up=_has(t, r"\b(looks?|looking|glanc\w*|gaz\w*) up"),
        hold=0.55 if _has(t, r"\b(paus\w*|stops?|stopping|halts?|freez\w*)\b") else 1.0,
        walking=walking,
    )


@dataclass(frozen=True)
class CameraMove:
    """The camera move over the clip; each is a signed amount, 1 is a full move."""

    pan: float = 0.0  # + right
    tilt: float = 0.0  # + up
    zoom: float = 0.0  # + in, - out: the whole picture scales
    dolly: float = 0.0  # + in, - back: subjects scale more than the background
    orbit: float = 0.0  # background and subjects shift at different rates
    handheld: float = 0.0

    @property
    def travels(self) -> bool:
        return bool(self.pan or self.tilt or self.orbit)


def parse_camera(text: str) -> CameraMove:
    """Read the camera text: pan, tilt, dolly, zoom, orbit, handheld, or static."""
    t = text.lower()
    k = 0.6 if _has(t, r"\b(slow\w*|gentl\w*|gradual\w*|subtle)\b") else 1.0
    k = 1.5 if _has(t, r"\b(fast|quick\w*|whip|rapid\w*)\b") else k
    pan = tilt = zoom = dolly = orbit = 0.0
    if m := re.search(r"\bpan\w*\s+(?:to the\s+)?(left|right)", t):
        pan = -1.0 if m[1] == "left" else 1.0
    elif _has(t, r"\bpan(s|ning|ned)?\b"):
        pan = 1.0
    if m := re.search(r"\b(?:tilt\w*|crane\w*|pedestal\w*|boom\w*)\s+(up|down)", t):
        tilt = 1.0 if m[1] == "up" else -1.0
    if m := re.search(r"\bzoom\w*\s+(in|out)", t):
        zoom = 1.0 if m[1] == "in" else -1.0
    elif _has(t, r"\bzoom"):
        zoom = 1.0
    back = r"\b(dolly|dollies|dollying|track\w*|pull\w*)\s+(back|out|backward\w*)"
    if _has(t, back) or _has(t, r"\bcamera\s+(mov\w*|pull\w*|draw\w*)\s+(back|away|out)"):
        dolly = -1.0
    elif _has(t, r"\b(dolly|push[- ]in|push\w* (in|forward)|track\w* (in|forward)|drone)"):
        dolly = 1.0
    if _has(t, r"\b(orbit\w*|arc|arcs|arcing|circl\w* (a)?round|revolv\w* (a)?round)\b"):
        orbit = -1.0 if _has(t, r"\b(left|counter\w*|anti\w*)\b") else 1.0
    handheld = 1.0 if _has(t, r"\b(hand-?held|shaky|shaking|documentary)\b") else 0.0
    return CameraMove(pan * k, tilt * k, zoom * k, dolly * k, orbit * k, handheld)


_VERB = (
    r"\b(walk|run|stand|sit|mov|jump|danc|turn|look|ride|driv|fl[iy]|float|spin|cross"
    r"|step|stroll|wait|lean|hold|reach|paus|approach|glid|drift|is|are)\w*\b"
)


def scene_fields(prompt: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Structured fields as given, else guessed from free prompt text (or rendered fields)."""
    if fields.get("subject"):
        return dict(fields)
    out: dict[str, str] = {}
    rest: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", prompt.strip()):
        m = re.match(r"(camera|lighting|style|in the scene)\s*[:,]\s*(.*)", sentence, re.I)
        key = {"in the scene": "secondary"}.get(m[1].lower(), m[1].lower()) if m else None
        if m and key:
            out[key] = m[2].rstrip(".")
        else:
            rest.append(sentence)
    first = rest[0] if rest else prompt
    verb = re.search(_VERB, first, re.I)
    if verb and verb.start() > 0:
        out["subject"] = first[: verb.start()].strip(" ,")
        out["action"] = " ".join([first[verb.start() :], *rest[1:]])
    else:
        out["subject"] = " ".join(first.split()[:6]).rstrip(".,")
        out["action"] = " ".join(rest)
    if "secondary" not in out and (
        m := re.search(r"\bwhile (an? [\w ]{3,40}?)\b(?=[,.]|$)", prompt)
    ):
        out["secondary"] = m[1]
    out.setdefault("camera", prompt)
    out.setdefault("lighting", prompt)
    return out


# --- drawing --------------------------------------------------------------------------


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


class Animatic:
    """Renders the frames of one take; everything costly is done in the constructor."""

    def __init__(self, request: TakeRequest) -> None:
        self.request = request
        self.width, self.height = frame_size(request.aspect, request.resolution)
        self.frames = max(1, round(request.duration_s * FPS))
        self.rng = np.random.default_rng((request.seed + _stable_hash(request.prompt)) % 2**64)
        f = scene_fields(request.prompt, request.fields)
        self.light_a, self.light_b, self.flicker = parse_light(f.get("lighting", ""))
        self.camera = parse_camera(f.get("camera", ""))
        self.mono = _has(
            f.get("style", "").lower(), r"\b(black and white|black-and-white|monochrome|b&w|noir)\b"
        )
        self.layouts = self._place(f)
        margin = 0.25 if self.camera.travels else 0.05 if self.camera.handheld else 0.0
        self.cw, self.ch = _even(self.width * (1 + margin)), _even(self.height * (1 + margin))
        self._skyline = self._plan_skyline()
        self.bg_a = self._paint(self.light_a)
        self.bg_b = self.bg_a if self.light_b == self.light_a else self._paint(self.light_b)
        self._diff = self.bg_b.astype(np.int16) - self.bg_a if self.bg_b is not self.bg_a else None
        self._level: tuple[int, U8, Image.Image | None] = (0, self.bg_a, None)
        self._mix_buf: tuple[NDArray[np.int16], U8] | None = None
        self._sprites: dict[tuple[int, int, int, int], _Sprite] = {}
        label_size = max(10, round(min(self.width, self.height) * 0.03))
        self._labels = [_label(lay.subject.label, label_size) for lay in self.layouts]
        self._caption_setup()
        self._strip_second: tuple[int, U8, int] = (-1, self.strip, 0)
        self._flicker = self.rng.random(8) < 0.5
        self._shake = self.rng.uniform(0, 2 * math.pi, 6)
        self._out: U8 = np.empty((self.height, self.width, 3), np.uint8)
        self._zoomed: tuple[tuple[int, int, int, float], U8] = ((-1, 0, 0, 0.0), self._out)

    # -- plan ---------------------------------------------------------------------------

    def _place(self, f: Mapping[str, str]) -> list[_Layout]:
        primary = parse_subject(f.get("subject") or "subject")
        motion = parse_motion(f.get("action", ""))
        out: list[_Layout] = []
        pick = int(self.rng.integers(len(_DEFAULT_COLOURS)))
        side = 1.0 if self.rng.random() < 0.5 else -1.0
        if f.get("secondary"):
            sub = parse_subject(f["secondary"])
            colour = sub.colour or _DEFAULT_COLOURS[(pick + 1) % len(_DEFAULT_COLOURS)]
            out.append(_Layout(sub, colour, 0.5 + 0.3 * side, 0.66, 0.17, Motion()))
        x = 0.5 - motion.dx / 2 - (0.08 * side if f.get("secondary") else 0.0)
        colour = primary.colour or _DEFAULT_COLOURS[pick]
        out.append(_Layout(primary, colour, x, 0.84, 0.42, motion))
        return out

    def _plan_skyline(
        self,
    ) -> list[tuple[float, float, float, list[tuple[float, float, float, int]]]]:
        """Buildings (x0, x1, top) with windows (x, y, lit-threshold, colour index)."""
        out = []
        x = -0.02
        while x < 1.0:
            w = float(self.rng.uniform(0.04, 0.11))
            top = float(self.rng.uniform(0.32, 0.54))
            windows = [
                (float(wx), float(wy), float(self.rng.random()), int(self.rng.integers(0, 3)))
                for wx in np.arange(x + 0.01, x + w - 0.012, 0.018)
                for wy in np.arange(top + 0.02, 0.6, 0.035)
            ]
            out.append((x, x + w, top, windows))
            x += w + float(self.rng.uniform(0.0, 0.02))
        return out

    def _paint(self, light: Light) -> U8:
        """The whole canvas for one light: sky, glows, skyline and street (or the image)."""
        cw, ch = self.cw, self.ch
        if self.request.image_path:
            return self._paint_image(light)
        lw, lh = max(16, cw // 4), max(16, ch // 4)
        y = np.linspace(0.0, 1.0, lh, dtype=np.float32)[:, None, None]
        x = np.linspace(0.0, 1.0, lw, dtype=np.float32)[None, :, None]
        top, hor, gnd = (
            np.array(c, np.float32) for c in (light.sky_top, light.horizon, light.ground)
        )
        horizon = 0.6
        sky = top + (hor - top) * np.clip(y / horizon, 0, 1) ** 1.4
        ground = gnd * (1.15 - 0.6 * np.clip((y - horizon) / (1 - horizon), 0, 1))
        img = np.where(y < horizon, sky, ground) + np.zeros_like(x)
        for gx, gy, gr, colour in light.glows:
            d2 = ((x - gx) * (cw / ch)) ** 2 + (y - gy) ** 2
            img = img + np.array(colour, np.float32) * 0.85 * np.exp(-d2 / (2 * gr * gr))
        canvas = Image.fromarray(self._grade(img, light)).resize(
            (cw, ch), Image.Resampling.BILINEAR
        )
        d = ImageDraw.Draw(canvas)
        body = tuple(int(c * 0.4 * light.level) for c in np.add(light.horizon, light.ground) / 2)
        gy = int(horizon * ch)
        for x0, x1, top_y, windows in self._skyline:
            d.rectangle((int(x0 * cw), int(top_y * ch), int(x1 * cw), gy), fill=body)
            for wx, wy, threshold, ci in windows:
                if threshold < light.windows:
                    colour = light.window_colours[ci % len(light.window_colours)]
                    lit = tuple(int(c * min(1.0, 0.4 + light.level)) for c in colour)
                    px, py = int(wx * cw), int(wy * ch)
                    d.rectangle((px, py, px + max(1, cw // 200), py + max(1, ch // 90)), fill=lit)
        line = tuple(min(255, int(c * 1.5 + 20)) for c in light.ground)
        lw_px = max(1, ch // 200)
        d.line((cw * 0.47, gy, -cw * 0.1, ch), fill=line, width=lw_px)
        d.line((cw * 0.53, gy, cw * 1.1, ch), fill=line, width=lw_px)
        return np.asarray(canvas.convert("RGB")).copy()

    def _grade(self, img: NDArray[np.float32], light: Light) -> U8:
        luma = img @ np.array([0.3, 0.59, 0.11], np.float32)
        if light.haze:
            img = img * (1 - light.haze) + (luma[..., None] * 0.8 + 40) * light.haze
        if self.mono:
            img = np.repeat(luma[..., None], 3, axis=-1)
        return np.asarray(np.clip(img * light.level, 0, 255), np.uint8)

    def _paint_image(self, light: Light) -> U8:
        path = Path(self.request.image_path or "")
        try:
            with Image.open(path) as im:
                fitted = ImageOps.fit(
                    im.convert("RGB"), (self.cw, self.ch), Image.Resampling.BICUBIC
                )
        except OSError as exc:
            raise BackendError(
                "previz", f"cannot read the first-frame image {path}: {exc}"
            ) from exc
        arr = np.asarray(fitted, np.float32)
        tint = np.array(light.horizon, np.float32)
        return self._grade(arr * 0.8 + tint * 0.2, light)

    def _caption_setup(self) -> None:
        r = self.request
        self.strip_h = _even(max(14, self.height * 0.065))
        strip = Image.new("RGB", (self.width, self.strip_h), (22, 22, 26))
        font = _font(max(8, int(self.strip_h * 0.5)))
        text = f"{r.shot} / {r.variant} / seed {r.seed}"
        _, top, _, bottom = font.getbbox(text)
        pad = self.strip_h // 2
        ImageDraw.Draw(strip).text(
            (pad, (self.strip_h - (bottom - top)) // 2 - top), text, fill=(235, 235, 235), font=font
        )
        self.strip: U8 = np.asarray(strip).copy()
        small = _font(max(8, int(self.strip_h * 0.42)))
        self.glyphs: dict[str, U16] = {}
        for ch in "0123456789:":
            img = Image.new("L", (self.strip_h, self.strip_h))
            ImageDraw.Draw(img).text((0, 0), ch, fill=255, font=small)
            box = img.getbbox() or (0, 0, 1, 1)
            mask = np.asarray(img.crop((0, 0, box[2], img.height)), dtype=np.uint16)
            self.glyphs[ch] = mask + (mask >> 7)
        digit_w = max(g.shape[1] for g in self.glyphs.values()) + 1
        # Digits share one advance so the time code does not jitter; the colon is narrow.
        self.advance = {ch: digit_w for ch in "0123456789"}
        self.advance[":"] = self.glyphs[":"].shape[1] + 2
        self.glyph_y = (self.strip_h - max(8, int(self.strip_h * 0.42))) // 2

    # -- per frame ------------------------------------------------------------------------

    def light_mix(self, u: float) -> float:
        """How far the light has gone from its start to its end state at clip time u."""
        if self.flicker:
            if u < 0.3:
                return 0.0
            if u < 0.55:
                return float(self._flicker[int((u - 0.3) / 0.25 * 8) % 8])
            return 1.0
        return _smooth(u)

    def _background(self, level: int) -> tuple[U8, Image.Image | None]:
        cached_level, arr, img = self._level
        if cached_level != level:
            if self._diff is None or level == 0:
                arr = self.bg_a
            elif level == LIGHT_STEPS:
                arr = self.bg_b
            else:
                # In place, in buffers kept between levels: fresh arrays this size would
                # cost more in page faults than the arithmetic.
                if self._mix_buf is None:
                    self._mix_buf = np.empty_like(self._diff), np.empty_like(self.bg_a)
                mixed, arr = self._mix_buf
                np.multiply(self._diff, np.int16(round(level * 128 / LIGHT_STEPS)), out=mixed)
                mixed >>= 7
                mixed += self.bg_a
                np.copyto(arr, mixed, casting="unsafe")
            img = None
            self._level = (level, arr, img)
        return arr, img

    def _shot(self, u: float, t: float) -> tuple[float, float, float, float, float, float]:
        """Camera at clip time: window centre offset (x, y), background zoom, subject zoom,
        and the subject layer's extra shift (x, y) in screen pixels."""
        cam, e = self.camera, _smooth(u)
        travel_x = (self.cw - self.width) / 2 * 0.9
        travel_y = (self.ch - self.height) / 2 * 0.9
        ox = cam.pan * travel_x * (2 * e - 1)
        oy = -cam.tilt * travel_y * (2 * e - 1)
        orbit = cam.orbit * travel_x * (2 * e - 1)
        if cam.handheld:
            amp = cam.handheld * 0.006 * self.width
            p = self._shake
            ox += amp * (math.sin(2.1 * t + p[0]) + 0.5 * math.sin(4.7 * t + p[1]))
            oy += amp * (math.sin(1.7 * t + p[2]) + 0.5 * math.sin(5.3 * t + p[3]))
        zoom_in = 0.3 * cam.zoom * (e if cam.zoom > 0 else e - 1)
        dolly = cam.dolly * (e if cam.dolly > 0 else e - 1)
        z_bg = 1.0 + abs(zoom_in) + 0.12 * abs(dolly)
        z_sub = 1.0 + abs(zoom_in) + 0.45 * abs(dolly)
        return ox + orbit, oy, z_bg, z_sub, 0.35 * orbit, 0.0

    def _sprite(self, index: int, height: float, angle: float, ambient: float) -> _Sprite:
        """The subject's shape at a size (in 1.5% steps), angle (2 degree steps) and light."""
        step = round(math.log(max(height, 4.0)) / math.log(SIZE_STEP))
        key = (index, step, 2 * round(angle / 2), int(ambient * 16))
        sprite = self._sprites.get(key)
        if sprite is None:
            lay = self.layouts[index]
            shade = 0.45 + 0.55 * key[3] / 16
            r, g, b = (int(c * shade) for c in lay.colour)
            if self.mono:
                r = g = b = int(0.3 * r + 0.59 * g + 0.11 * b)
            size = round(SIZE_STEP**step)
            sprite = self._sprites[key] = _draw_shape(lay.subject.kind, (r, g, b), size, key[2])
        return sprite

    def render_frame(self, i: int) -> U8:
        """Frame `i` as a uint8 RGB array (reused between calls: copy it to keep it)."""
        w, h, out = self.width, self.height, self._out
        u = i / max(1, self.frames - 1)
        t = i / FPS
        mix = self.light_mix(u)
        level = round(mix * LIGHT_STEPS)
        canvas, image = self._background(level)
        ox, oy, z_bg, z_sub, sx, sy = self._shot(u, t)
        # The window is whole pixels, and while zoomed its width moves in 4 px steps, so a
        # slow zoom reuses the last resized background (and the encoder sees still pixels).
        win_w = float(w) if z_bg == 1.0 else max(4.0, 4.0 * round(w / z_bg / 4))
        win_h = win_w * h / w
        x0 = round(min(max(self.cw / 2 + ox - win_w / 2, 0), self.cw - win_w))
        y0 = round(min(max(self.ch / 2 + oy - win_h / 2, 0), self.ch - win_h))
        cx, cy = x0 + win_w / 2, y0 + win_h / 2
        if z_bg == 1.0:
            np.copyto(out, canvas[y0 : y0 + h, x0 : x0 + w])
        else:
            key = (level, x0, y0, win_w)
            if self._zoomed[0] != key:
                if image is None:
                    image = Image.fromarray(canvas)
                    self._level = (level, canvas, image)
                box = (x0, y0, x0 + win_w, y0 + win_h)
                resized = image.resize((w, h), Image.Resampling.NEAREST, box=box)
                self._zoomed = (key, np.asarray(resized))
            np.copyto(out, self._zoomed[1])
        shift_x = -(cx - self.cw / 2) * z_bg + sx
        shift_y = -(cy - self.ch / 2) * z_bg + sy
        ambient = self.light_a.ambient + (self.light_b.ambient - self.light_a.ambient) * mix
        bottom = h - self.strip_h
        for index, lay in enumerate(self.layouts):
            ax, ay, scale, angle = self._pose(lay.motion, u, t)
            px = w / 2 + ((lay.x + ax) * w - w / 2) * z_sub + shift_x
            py = h / 2 + ((lay.y + ay) * h - h / 2) * z_sub + shift_y
            sprite = self._sprite(index, lay.height * h * scale * z_sub, angle, ambient)
            sprite.paste(out, px, py, bottom)
            label = self._labels[index]
            lx = min(max(px - label.w / 2, 2), w - label.w - 2)
            label.paste(out, lx, min(py + 4, bottom - label.h - 2), bottom)
        self._caption(out, i)
        return out

    def _pose(self, m: Motion, u: float, t: float) -> tuple[float, float, float, float]:
        """Offset (x, y) in frame fractions, scale and angle of a subject at clip time u."""
        p = min(1.0, u / m.hold)
        moving = p < 1.0 and bool(m.depth or m.dx or m.walking)
        scale = 1.0 + m.depth * p if m.depth >= 0 else 1.0 / (1.0 - m.depth * p * 1.5)
        ax = m.dx * p
        ay = 0.05 * m.depth * p
        if moving and m.walking:
            ay -= 0.006 * abs(math.sin(2 * math.pi * t * 2))
        if m.bounce:
            ay -= m.bounce * 0.42 * scale * abs(math.sin(2 * math.pi * t / 0.8))
        if not (m.depth or m.dx or m.bounce or m.walking):
            scale *= 1.0 + 0.015 * math.sin(2 * math.pi * t / 2.5)  # idle breathing
        g = _smooth((u - m.hold) / (1 - m.hold)) if m.hold < 1.0 else _smooth(u)
        angle = m.turn * g
        if m.look_up:
            angle -= 5.0 * g
            ay -= 0.02 * g
        return ax, ay, scale, angle

    def _caption(self, out: U8, i: int) -> None:
        """The caption strip with the time code (HH:MM:SS:FF); the strip up to the seconds
        is kept from the previous frame of the same second, so a frame draws two digits."""
        seconds, frame = divmod(i, FPS)
        code = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:"
        x = self.width - self.strip_h // 2 - sum(self.advance[ch] for ch in code + "00")
        if self._strip_second[0] != seconds:
            strip = self.strip.copy()
            x = self._type(strip, code, x)
            self._strip_second = (seconds, strip, x)
        _, strip, x = self._strip_second
        h = self.height
        np.copyto(out[h - self.strip_h :], strip)
        self._type(out[h - self.strip_h :], f"{frame:02d}", x)

    def _type(self, strip: U8, text: str, x: int) -> int:
        """Blend white glyphs of `text` into the strip from x; returns the x after them."""
        for ch in text:
            mask = self.glyphs[ch]
            gh, gw = mask.shape
            if x >= 0:
                region = strip[self.glyph_y : self.glyph_y + gh, x : x + gw]
                mix = (255 - region) * mask[: region.shape[0], : region.shape[1], None]
                mix >>= 8
                region += mix.astype(np.uint8)
            x += self.advance[ch]
        return x


def render(
    request: TakeRequest, dest: Path, progress: Callable[[float], None] | None = None
) -> Path:
    """Render the take's animatic to `dest` (H.264 MP4, yuv420p, 24 fps) and return it."""
    animatic = Animatic(request)
    with FrameWriter(dest, animatic.width, animatic.height, FPS) as writer:
        for i in range(animatic.frames):
            writer.write(animatic.render_frame(i))
            if progress is not None:
                progress((i + 1) / animatic.frames)
    return dest


class PrevizBackend(Backend):
    """The built-in, offline, free animatic renderer."""

    name = "previz"
    default_model = "animatic"
    models = ("animatic",)
    price_note = "free: rendered locally, offline"
    poll_interval_s = 0.0

    def capabilities(self) -> Capabilities:
        return Capabilities(
            durations=None,
            min_duration_s=1.0,
            max_duration_s=60.0,
            aspects=ASPECTS,
            resolutions=RESOLUTIONS,
            seed=True,
            image_input=True,
            audio=False,
        )

    def price(self, request: TakeRequest) -> float:
        return 0.0

    @staticmethod
    def _path(job_id: str) -> Path:
        return Home.from_env().tmp / "previz" / f"{job_id}.mp4"

    def submit(self, request: TakeRequest) -> str:
        """Render now (synchronously); the job is finished when this returns."""
        problems = self.capabilities().problems(request)
        if problems:
            raise BackendError(self.name, "; ".join(problems), hint="see `takelab backends`")
        job_id = f"previz-{request.take_id}"
        final = self._path(job_id)
        part = final.with_name(final.name + ".part")
        render(request, part)
        part.replace(final)
        return job_id

    def poll(self, job_id: str) -> JobStatus:
        if self._path(job_id).exists():
            return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=0.0)
        return JobStatus(
            state=JobState.FAILED,
            progress=None,
            error_code="lost",
            error_message=f"the rendered file for {job_id} is gone; rerun the take",
            cost_usd=None,
        )

    def fetch(self, job_id: str, dest: Path) -> Path:
        src = self._path(job_id)
        if not src.exists():
            raise BackendError(
                self.name, f"job {job_id} has no rendered file", hint="rerun the take"
            )
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dest))
        return dest


__all__ = [
    "FPS",
    "Animatic",
    "CameraMove",
    "Light",
    "Motion",
    "PrevizBackend",
    "Subject",
    "parse_camera",
    "parse_light",
    "parse_motion",
    "parse_subject",
    "render",
    "scene_fields",
]
