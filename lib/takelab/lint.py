"""Prompt rules -> findings.

A small, deterministic linter: regular expressions over curated lexicons
(`takelab.lint_lexicon`), no models and no I/O, well under a millisecond a prompt. Each
rule flags something video generators are known to get wrong or to refuse, and each
finding says what to write instead. Rule ids are stable (design.md, "Lint rules").

Decisions worth knowing:

- `no-motion` looks for the subject or the world moving or changing (walks, rain easing,
  the sun setting, steam rising). A camera move alone does not count: dollying past a
  still vase still makes a near-static clip, which is what the rule warns about.
- `no-camera` counts any camera directive, "static camera" and "locked-off" included:
  asking for no movement is a choice, not an omission.
- `crowded` allows one primary and one secondary subject; a structured `secondary` field
  is that one secondary subject, whatever it lists.
- A structured variant is linted field by field: a filled `camera` or `lighting` field
  satisfies its rule unless it is a placeholder ("tbd", "none"), and `negative` is never
  read, so "negative: text, watermark" asks for no text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from takelab import lint_lexicon as lex
from takelab.backends._base import Capabilities
from takelab.rule_ids import RULE_IDS
from takelab.shots import Project, Variant, VariantSettings


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Rule(BaseModel):
    """One lint rule: a stable id, how bad it is and what it checks."""

    model_config = ConfigDict(frozen=True)

    id: str
    severity: Severity
    title: str
    description: str


class Finding(BaseModel):
    """One rule firing on one variant, with the risk and a concrete fix."""

    shot: str
    variant: str
    rule: str
    severity: Severity
    message: str
    fix: str
    overridden: bool = False

    def public(self) -> dict[str, str]:
        """The documented JSON shape: shot, variant, rule, severity, message, fix."""
        return {k: str(v) for k, v in self.model_dump(exclude={"overridden"}).items()}


_W, _E = Severity.WARNING, Severity.ERROR
_RULE_TABLE = (
    ("no-motion", _W, "nothing moves", "nothing in the prompt moves or changes over time"),
    ("no-camera", _W, "no camera", "nothing about camera movement, angle or framing"),
    ("no-lighting", _W, "no lighting", "no light source, quality or time-of-day light"),
    # info, not warning: every backend has a default length, so the take still works;
    # the finding only says the length (and so the cost) is left to the backend.
    ("no-duration", Severity.INFO, "no duration", "no duration in variant, defaults or text"),
    ("legible-text", _W, "legible text", "asks for readable words: a sign that reads X"),
    ("crowded", _W, "crowded", "more than one primary and one secondary subject"),
    ("fast-motion", _W, "fast motion", "rapid motion: racing, sprinting, whip pans"),
    ("occlusion", _W, "occlusion", "a subject passes behind something and must reappear"),
    ("hard-cut", _W, "hard cut", "cuts or abrupt scene changes inside one clip"),
    ("public-figure", _E, "public figure", "names a real, well-known person"),
    ("violence", _E, "violence", "graphic violence"),
    ("explicit", _E, "explicit", "sexual content or nudity"),
    ("too-long", _E, "too long", "duration beyond what the chosen backend allows"),
)
RULES: Mapping[str, Rule] = {
    rid: Rule(id=rid, severity=sev, title=title, description=text)
    for rid, sev, title, text in _RULE_TABLE
}
if tuple(RULES) != RULE_IDS:  # pragma: no cover - a guard for whoever edits one list
    raise RuntimeError("takelab.lint.RULES and takelab.rule_ids.RULE_IDS disagree")

# Message (the risk for a video model) and fix per rule; {phrase} is what the prompt
# said, {add} is "add" for free text or "fill `field` with" for a structured variant.
_ADVICE: dict[str, tuple[str, str]] = {
    "no-motion": (
        "nothing in the prompt moves or changes: models return a near-still clip or "
        "invent a random motion",
        '{add} one movement or change over time, e.g. "steam rises from the cup", '
        '"a curtain stirs in the breeze", "the light slowly fades"',
    ),
    "no-camera": (
        "no camera direction: models pick a random, often static or drifting framing, "
        "and it changes from take to take",
        '{add} one camera directive, e.g. "slow dolly in at eye level", "static wide '
        'shot", "handheld close-up"',
    ),
    "no-lighting": (
        "no light described: models default to flat, even light and the look drifts between takes",
        '{add} a light source, quality and time, e.g. "soft window light from the left", '
        '"golden hour backlight", "neon glow on wet asphalt"',
    ),
    "no-duration": (
        "no duration in the variant, the defaults or the text: the backend's default "
        "length is used, so takes differ in length and cost",
        "set `duration` on the variant or in the project defaults (e.g. duration: 8), or "
        'state it in the text ("an 8-second shot")',
    ),
    "legible-text": (
        'asks for readable words ("{phrase}"): video models garble lettering, and it '
        "shimmers from frame to frame",
        'replace "{phrase}" with a blank sign (or "no readable text"); add the words as '
        "an overlay in the cut",
    ),
    "crowded": (
        "about {phrase} subjects: models keep one primary and one secondary subject "
        "coherent; beyond that they merge, duplicate or drop people and animals",
        "keep one primary subject and one secondary; put the rest in the background "
        '("a blurred crowd in the background") or give them their own shot',
    ),
    "fast-motion": (
        'rapid motion ("{phrase}"): fast movement smears, warps limbs and breaks '
        "consistency between frames",
        'slow "{phrase}" down ("jogs", "glides", "a slow pan"), or ask for it "in slow motion"',
    ),
    "occlusion": (
        'a subject passes behind something and must come back ("{phrase}"): models often '
        "lose it, or bring back a different one",
        'keep the subject in view: instead of "{phrase}", let it pass in front of the '
        "obstacle, or end the shot as it disappears",
    ),
    "hard-cut": (
        'a cut or scene change inside one clip ("{phrase}"): models morph one scene into '
        "the other instead of cutting",
        'split at "{phrase}" into two shots and make the cut in the edit',
    ),
    "public-figure": (
        'names a real, well-known person ("{phrase}"): providers refuse or block '
        "likenesses of real people, and a blocked job may still be charged",
        'replace "{phrase}" with an invented person described by look and wardrobe '
        '(e.g. "a silver-haired man in a navy suit")',
    ),
    "violence": (
        'graphic violence ("{phrase}"): providers block it, and a blocked job may still be charged',
        'remove "{phrase}": imply it off-screen (a reaction, a sound, the aftermath without gore)',
    ),
    "explicit": (
        'sexual content or nudity ("{phrase}"): providers refuse it and may flag the account',
        'remove "{phrase}": keep the characters clothed and the scene non-sexual',
    ),
    "too-long": (
        "duration {phrase} s is not allowed by this backend (allowed: {allowed}): the "
        "request would be rejected",
        "set duration to {best} s, or split the action across two shots",
    ),
}
_FIELD_OF = {"no-motion": "action", "no-camera": "camera", "no-lighting": "lighting"}


@dataclass(frozen=True)
class _Prompt:
    """What a rule looks at: the described text, and the structured fields if any."""

    text: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def body(self, *, without: str = "") -> str:
        """Lower-cased text to scan; for structured prompts, the fields but `without`."""
        if not self.fields:
            return self.text.lower()
        return " . ".join(v for k, v in self.fields.items() if k != without).lower()

    def filled(self, name: str) -> bool:
        """The field says something (not empty, not a placeholder like "tbd")."""
        value = self.fields.get(name, "")
        return bool(value) and not lex.PLACEHOLDER.match(value)


def _blank(pattern: re.Pattern[str] | None, text: str) -> str:
    """Spaces over the matches of `pattern`, so later matches keep their offsets."""
    if pattern is None:
        return text
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _phrase(m: re.Match[str] | None) -> str | None:
    return " ".join(m.group(0).strip(" ,.;:").split()) if m else None


def _search(
    pattern: re.Pattern[str], text: str, benign: re.Pattern[str] | None = None
) -> str | None:
    return _phrase(pattern.search(_blank(benign, text)))


# -- rules: each returns the offending phrase ("" when there is none to quote) or None ----


def _moves(p: _Prompt) -> bool:
    action = p.fields.get("action", "")
    if p.filled("action") and not lex.STATIC_ACTION.match(action):
        return True
    text = _blank(lex.CAMERA_SUBJECT_VERB, _blank(lex.MOTION_BENIGN, p.body(without="camera")))
    if lex.acts(text) or lex.FAST.search(_blank(lex.FAST_BENIGN, text)):
        return True
    for m in lex.MOTION.finditer(text):
        before = text[: m.start()]
        if lex.NEGATION_BEFORE.search(before):
            continue  # "no wind", "nothing moves"
        if m.group(0) in lex.VERB_BASES and lex.DETERMINER_BEFORE.search(before):
            continue  # "a skateboard", "the fall": a noun, not a verb
        return True
    return False


def _no_motion(p: _Prompt) -> str | None:
    return None if _moves(p) else ""


def _no_camera(p: _Prompt) -> str | None:
    found = p.filled("camera") or lex.CAMERA.search(p.body(without="camera"))
    return None if found else ""


def _no_lighting(p: _Prompt) -> str | None:
    text = _blank(lex.LIGHT_BENIGN, p.body(without="lighting"))
    return None if p.filled("lighting") or lex.LIGHT.search(text) else ""


_QUOTED = re.compile(r"""\s*:?(\s*['"\u201c\u2018][^'"\u201d\u2019]{1,60}['"\u201d\u2019])""")


def _legible_text(p: _Prompt) -> str | None:
    text = p.body()
    for m in lex.LEGIBLE.finditer(text):
        clause = re.split(r"[,.;:!?]", text[max(0, m.start() - 40) : m.start()])[-1]
        if lex.TEXT_NEGATION.search(clause) or lex.TEXT_NEGATION.match(m.group(0)):
            continue  # "a blank sign", "no text", "an unreadable label"
        words = _QUOTED.match(text, m.end())  # quote the words asked for, too
        return " ".join(
            m.group(0).strip(" ,.;:").split() + ([words.group(1).strip()] if words else [])
        )
    return None


def _crowded(p: _Prompt) -> str | None:
    if p.fields:
        n = 0
        for part in re.split(r",|\band\b|&|\bplus\b", p.fields.get("subject", "").lower()):
            # a listed part with no known noun ("a lighthouse") is still one subject
            n += lex.count_subjects(part) or int(bool(re.match(r"\s*(?:a|an|the)\b", part)))
        n += int(bool(p.fields.get("secondary")))
    else:
        n = lex.count_subjects(p.text)
    return str(n) if n > 2 else None


def _fast_motion(p: _Prompt) -> str | None:
    text = p.body()
    return None if lex.SLOW_MOTION.search(text) else _search(lex.FAST, text, lex.FAST_BENIGN)


def _occlusion(p: _Prompt) -> str | None:
    text = p.body()
    for m in lex.OCCLUSION_BEHIND.finditer(text):
        words = re.findall(r"[a-z]+", m.group("rest"))
        if not any(w in lex.ANIMATE or lex.PLURAL.get(w) in lex.ANIMATE for w in words):
            return _phrase(m)  # "walks behind a pillar", not "walks behind her dog"
    return _search(lex.OCCLUSION_REAPPEAR, text)


def _hard_cut(p: _Prompt) -> str | None:
    return _search(lex.HARD_CUT, p.body(), lex.HARD_CUT_BENIGN)


def _public_figure(p: _Prompt) -> str | None:
    text = p.text  # original case: surnames match with their capital letter
    for pattern in (lex.PUBLIC_FULL, lex.PUBLIC_SURNAME_CASED):
        for m in pattern.finditer(text):
            before, after = text[: m.start()], text[m.end() :]
            if lex.PLACE_AFTER.match(after) or lex.PLACE_BEFORE.search(before):
                continue  # Lincoln Center, St. Louis, Churchill, Manitoba
            if lex.STYLE_BEFORE.search(before) or lex.STYLE_AFTER.match(after):
                continue  # "in the style of Van Gogh" does not show the painter
            return m.group(0)
    return None


def _violence(p: _Prompt) -> str | None:
    return _search(lex.VIOLENCE, p.body(), lex.VIOLENCE_BENIGN)


def _explicit(p: _Prompt) -> str | None:
    return _search(lex.EXPLICIT, p.body())


_CHECKS: dict[str, Callable[[_Prompt], str | None]] = {
    "no-motion": _no_motion,
    "no-camera": _no_camera,
    "no-lighting": _no_lighting,
    "legible-text": _legible_text,
    "crowded": _crowded,
    "fast-motion": _fast_motion,
    "occlusion": _occlusion,
    "hard-cut": _hard_cut,
    "public-figure": _public_figure,
    "violence": _violence,
    "explicit": _explicit,
}


def _cased(p: _Prompt, phrase: str) -> str:
    """The phrase as the prompt wrote it (rules match lower-cased text)."""
    m = re.search(re.escape(phrase), p.text, re.IGNORECASE) if phrase else None
    return m.group(0) if m else phrase


def _suggest(caps: Capabilities, seconds: float) -> float:
    """The allowed duration closest below `seconds` (or the shortest allowed)."""
    if caps.durations:
        fitting = [d for d in caps.durations if d <= seconds]
        return max(fitting) if fitting else min(caps.durations)
    return min(max(seconds, caps.min_duration_s), caps.max_duration_s)


# -- entry points ------------------------------------------------------------------------


def _lint(
    p: _Prompt,
    *,
    duration_s: float | None,
    capabilities: Capabilities | None,
    shot: str,
    variant: str,
    allow: Iterable[str] = (),
) -> list[Finding]:
    found = {
        rid: {"phrase": _cased(p, hit)}
        for rid, check in _CHECKS.items()
        if (hit := check(p)) is not None
    }
    stated = lex.durations_in(p.body())
    seconds = duration_s if duration_s is not None else max(stated, default=None)
    if seconds is None:
        found["no-duration"] = {}
    elif capabilities is not None and not capabilities.allows_duration(seconds):
        best = _suggest(capabilities, seconds)
        allowed_s = capabilities.describe_durations()
        found["too-long"] = {"phrase": f"{seconds:g}", "allowed": allowed_s, "best": f"{best:g}"}
    out = []
    for rid in RULES:
        if rid not in found:
            continue
        name = _FIELD_OF.get(rid)
        add = f"fill `{name}` with" if p.fields and name else "add"
        message, fix = (t.format(add=add, **found[rid]) for t in _ADVICE[rid])
        out.append(
            Finding(
                shot=shot,
                variant=variant,
                rule=rid,
                severity=RULES[rid].severity,
                message=message,
                fix=fix,
                overridden=rid in set(allow),
            )
        )
    return out


def lint_text(
    text: str,
    *,
    duration_s: float | None = None,
    capabilities: Capabilities | None = None,
    shot: str = "",
    variant: str = "",
) -> list[Finding]:
    """Findings for free prompt text; `duration_s` is the clip length setting, if any."""
    prompt = _Prompt(" ".join(text.split()))
    return _lint(
        prompt, duration_s=duration_s, capabilities=capabilities, shot=shot, variant=variant
    )


def lint_variant(
    variant: Variant,
    *,
    shot: str,
    defaults: VariantSettings | None = None,
    capabilities: Capabilities | None = None,
) -> list[Finding]:
    """Findings for one variant, structured or free text, with the project defaults.
    `negative` is never linted; rules in `variant.allow` still appear, marked overridden."""
    settings = variant.resolved(defaults)
    fields = variant.fields() if variant.structured else {}
    if fields and settings.style:
        fields["style"] = settings.style
    return _lint(
        _Prompt(variant.render(defaults), fields),
        duration_s=settings.duration,
        capabilities=capabilities,
        shot=shot,
        variant=variant.id,
        allow=variant.allow,
    )


def lint_project(project: Project, *, capabilities: Capabilities | None = None) -> list[Finding]:
    """Findings for every variant of every shot, in file order."""
    return [
        finding
        for shot in project.shots
        for variant in shot.variants
        for finding in lint_variant(
            variant, shot=shot.id, defaults=project.defaults, capabilities=capabilities
        )
    ]


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """Error findings that were not overridden: these stop a take before any spending."""
    return [f for f in findings if f.severity == Severity.ERROR and not f.overridden]


__all__ = [
    "RULES",
    "Finding",
    "Rule",
    "Severity",
    "blocking",
    "lint_project",
    "lint_text",
    "lint_variant",
]
