"""previz: reading a prompt into a scene: light and its change, subjects, motion, camera."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

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
