"""Camera moves named in a prompt, by kind, for the camera-conflict rule.

Each pattern names one kind of move: a pan, a tilt, a zoom, a push in, a pull back, a
truck (lateral), an orbit, a vertical crane/pedestal move, a tracking/follow move, or a
locked-off static camera. The same kind restated ("the camera orbits ... circles around")
is one move; two kinds in one clip are a conflict.
"""

from __future__ import annotations

import re

_CAM = r"\b(?:the\s+)?(?:camera|drone|shot|view|perspective)\s+(?:[\w-]+\s+){0,2}?"
# An adverb may sit between a camera's verb and its direction ("moves again to", "pulls
# slowly back").
_ADV = r"(?:(?:[a-z]+ly|again|then|further|now)\s+)?"
MOVES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "static",
            r"\bstatic (?:shot|camera)\b|\blocked[\s-](?:off|down)\b|\bcamera (?:is|remains|"
            r"stays) (?:fixed|static|still|locked)\b|\bfixed (?:camera|shot|[\w-]+ perspective)\b|"
            r"\btripod\b",
        ),
        (
            "zoom",
            r"\b(?:zoom|zooms|zooming|zoomed)\s+(?:in|out)\b|\b(?:slow|crash|dolly|rapid)\s+zoom\b",
        ),
        (
            "pan",
            r"\b(?:slow|slowly|quick|gentle|whip)[\s-]+pans?\b|\bpan(?:s|ning|ned)?\s+(?:left|right|"
            r"across|over|to|along|from)\b|"
            + _CAM
            + r"(?:(?:pans|turns|shifts) "
            + _ADV
            + r"(?:to|toward|towards)|moves "
            + _ADV
            + r"to)\b",
        ),
        (
            "tilt",
            r"\btilt(?:s|ing|ed)?\s+(?:up|down|upward|upwards|downward|downwards)\b|"
            + _CAM
            + r"tilts\b",
        ),
        (
            "push",
            r"\bpush(?:es|ing)?[\s-]in\b|\bdolly(?:ing)?[\s-](?:in|forward)\b|\bairborne dolly\b|"
            + _CAM
            + r"(?:moves|moving|continues|pushes|glides) "
            + _ADV
            + r"(?:forward|closer|deeper|into|in|toward|towards)\b|"
            + _CAM
            + r"(?:enters|delves)\b",
        ),
        (
            "pull",
            r"\bpull(?:s|ing)?[\s-](?:back|out)\b|\bdolly(?:ing)?[\s-](?:back|out)\b|"
            + _CAM
            + r"(?:moves|moving|pulls) "
            + _ADV
            + r"(?:back|away)\b",
        ),
        (
            "truck",
            r"\b(?:truck|trucking|dolly|dollying)[\s-](?:left|right)\b|"
            + _CAM
            + r"slides (?:past|along|left|right)\b",
        ),
        (
            "orbit",
            r"\borbit(?:s|ing)?\b|\barc(?:s|ing)?[\s-](?:in|around|shot)\b|"
            r"\bcircl(?:es|ing) around\b|"
            r"\brotates? around\b",
        ),
        (
            "crane",
            r"\bcrane[\s-](?:up|down|shot)\b|\bpedestal[\s-](?:up|down)\b|"
            + _CAM
            + r"(?:rises|rising|ascends|ascending|descends|descending|lowers|"
            r"moves (?:downward|upward|down|up))\b",
        ),
        (
            "track",
            r"\btracking shot\b|\bfollow shot\b|\btracks alongside\b|"
            + _CAM
            + r"(?:follows|following|tracks|tracking|moves with|moves through|moves along)\b",
        ),
    )
)


def camera_moves(text: str) -> list[tuple[str, str]]:
    """(kind, phrase) of every camera move in lower-cased text, in the order written."""
    found: list[tuple[int, int, str, str]] = []
    for kind, pattern in MOVES:
        for m in pattern.finditer(text):
            # one span is one move, of the kind listed first ("moves toward" is not also a pan)
            if not any(m.start() < end and start < m.end() for start, end, _, _ in found):
                found.append((m.start(), m.end(), kind, " ".join(m.group(0).split())))
    found.sort()
    return [(kind, phrase) for _, _, kind, phrase in found]


__all__ = ["MOVES", "camera_moves"]
