"""Prompt rules -> findings.

A small, deterministic linter: grammar-aware patterns over lexicons kept in data files
(`takelab.lint.lexicon`, `takelab.lint.grammar` with lemminflect's dictionary), no
model to download and no I/O, a few milliseconds a prompt (benchmarks/bench_lint.py).
Each rule flags something video generators are known to get wrong or to refuse; each
finding carries the evidence
(the phrase that made it fire) and a fix that rewrites the prompt's own words
(`takelab.lint.fixes`). Rule ids are stable (design.md, "Lint rules").

Decisions worth knowing:

- `no-motion` looks for the subject or the world moving or changing (walks, rain easing,
  the sun setting, steam rising). A camera move alone does not count: dollying past a
  still vase still makes a near-static clip, which is what the rule warns about.
- `no-camera` counts any camera directive, "static camera" and "locked-off" included:
  asking for no movement is a choice, not an omission.
- `crowded` allows one primary and one secondary subject; a structured `secondary` field
  is that one secondary subject, whatever it lists.
- `dialogue-budget` allows about two short spoken lines per 4 s and 3 words a second, on
  the variant's duration (or the text's, or 5 s, the default length of a take).
- A structured variant is linted field by field: a filled `camera` or `lighting` field
  satisfies its rule unless it is a placeholder ("tbd", "none"), and `negative` is never
  read, so "negative: text, watermark" asks for no text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from takelab.backends import Capabilities
from takelab.lint import lexicon as lex
from takelab.lint import speech
from takelab.lint.checks import Hit, Prompt, run_checks
from takelab.lint.fixes import Edit, fix_for
from takelab.project.model import Project, Variant, VariantSettings
from takelab.rule_ids import RULE_IDS

# The length a take gets when nothing sets one (plan.DEFAULT_DURATION_S says the same).
DEFAULT_DURATION_S = 5.0


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
    """One rule firing on one variant: the risk, the evidence and a concrete fix.

    `file` and `line` say where the variant (or the field the evidence is in) is written;
    `edits` are the fix as field rewrites a tool can apply (`lint_fixes.apply_edits`)."""

    shot: str
    variant: str
    rule: str
    severity: Severity
    message: str
    fix: str
    evidence: str = ""
    file: str = ""
    line: int | None = None
    edits: list[Edit] = []
    overridden: bool = False

    def public(self) -> dict[str, Any]:
        """The documented JSON shape: shot, variant, rule, severity, message, fix, evidence,
        file, line."""
        out: dict[str, Any] = {
            k: str(v) for k, v in self.model_dump(exclude={"overridden", "edits", "line"}).items()
        }
        out["line"] = self.line
        return out


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
    ("negative-phrasing", _W, "negative phrasing", "a negation in the prompt a model may render"),
    ("camera-conflict", _W, "camera conflict", "more than one camera move in one shot"),
    ("dialogue-budget", _W, "dialogue budget", "more spoken lines than fit the duration"),
)
RULES: Mapping[str, Rule] = {
    rid: Rule(id=rid, severity=sev, title=title, description=text)
    for rid, sev, title, text in _RULE_TABLE
}
if tuple(RULES) != RULE_IDS:  # pragma: no cover - a guard for whoever edits one list
    raise RuntimeError("takelab.lint.rules.RULES and takelab.rule_ids.RULE_IDS disagree")

# The risk for a video model, per rule; {evidence} is what the prompt said.
_MESSAGE: dict[str, str] = {
    "no-motion": "nothing in the prompt moves or changes: models return a near-still clip or "
    "invent a random motion",
    "no-camera": "no camera direction: models pick a random, often static or drifting framing, "
    "and it changes from take to take",
    "no-lighting": "no light described: models default to flat, even light and the look "
    "drifts between takes",
    "no-duration": "no duration in the variant, the defaults or the text: the backend's "
    "default length is used, so takes differ in length and cost",
    "legible-text": 'asks for readable words ("{evidence}"): video models garble lettering, '
    "and it shimmers from frame to frame",
    "crowded": "about {count} subjects: models keep one primary and one secondary subject "
    "coherent; beyond that they merge, duplicate or drop people and animals",
    "fast-motion": 'rapid motion ("{evidence}"): fast movement smears, warps limbs and breaks '
    "consistency between frames",
    "occlusion": 'a subject is hidden and must come back into view ("{evidence}"): models '
    "often lose it, or bring back a different one",
    "hard-cut": 'a cut or scene change inside one clip ("{evidence}"): models morph one scene '
    "into the other instead of cutting",
    "public-figure": 'names a real, well-known person ("{evidence}"): providers refuse or block '
    "likenesses of real people, and a blocked job may still be charged",
    "violence": 'graphic violence ("{evidence}"): providers block it, and a blocked job may '
    "still be charged",
    "explicit": 'sexual content or nudity ("{evidence}"): providers refuse it and may flag '
    "the account",
    "too-long": "duration {evidence} s is not allowed by this backend (allowed: {allowed}): "
    "the request would be rejected",
    "negative-phrasing": 'a negation in the prompt ("{evidence}"): models read the words, not '
    'the "no", and often show {thing}',
    "camera-conflict": 'more than one camera move in one shot ("{evidence}"): models blend '
    "them into a drifting, unmotivated move",
    "dialogue-budget": "{budget}: lines get rushed, cut off or lip-synced to the wrong face",
}


def _cased(p: Prompt, phrase: str) -> str:
    """The phrase as the prompt wrote it (rules match lower-cased text)."""
    import re

    if not phrase:
        return phrase
    m = re.search(r"\s+".join(re.escape(w) for w in phrase.split()), p.text, re.IGNORECASE)
    return m.group(0) if m else phrase


def _suggest(caps: Capabilities, seconds: float) -> float:
    """The allowed duration closest below `seconds` (or the shortest allowed)."""
    if caps.durations:
        fitting = [d for d in caps.durations if d <= seconds]
        return max(fitting) if fitting else min(caps.durations)
    return min(max(seconds, caps.min_duration_s), caps.max_duration_s)


def _hits(p: Prompt, duration_s: float | None, capabilities: Capabilities | None) -> dict[str, Hit]:
    found = run_checks(p)
    stated = lex.durations_in(p.body())
    seconds = duration_s if duration_s is not None else max(stated, default=None)
    if seconds is None:
        found["no-duration"] = Hit("no duration in the variant, the defaults or the text")
    elif capabilities is not None and not capabilities.allows_duration(seconds):
        best = _suggest(capabilities, seconds)
        allowed = capabilities.describe_durations()
        found["too-long"] = Hit(f"{seconds:g}", {"allowed": allowed, "best": f"{best:g}"})
    lines = list(p.dialogue) or speech.spoken_lines(p.text)
    budget = speech.over_budget(lines, seconds if seconds is not None else DEFAULT_DURATION_S)
    if lines and budget:
        found["dialogue-budget"] = Hit("; ".join(f'"{line}"' for line in lines), {"budget": budget})
    return {rid: found[rid] for rid in RULES if rid in found}


def _lint(
    p: Prompt,
    *,
    duration_s: float | None,
    capabilities: Capabilities | None,
    shot: str,
    variant: str,
    allow: Iterable[str] = (),
) -> list[Finding]:
    out = []
    allowed = set(allow)
    for rid, hit in _hits(p, duration_s, capabilities).items():
        evidence = _cased(p, hit.evidence)
        values = {"evidence": evidence, "thing": "it", "count": "", "allowed": "", "budget": ""}
        values.update(hit.values)
        fix, edits = fix_for(rid, p, hit, evidence)
        out.append(
            Finding(
                shot=shot,
                variant=variant,
                rule=rid,
                severity=RULES[rid].severity,
                message=_MESSAGE[rid].format(**values),
                fix=fix,
                evidence=evidence,
                edits=edits,
                overridden=rid in allowed,
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
    prompt = Prompt(" ".join(text.split()), duration_s=duration_s)
    return _lint(
        prompt, duration_s=duration_s, capabilities=capabilities, shot=shot, variant=variant
    )


def _dialogue_lines(variant: Variant) -> tuple[str, ...]:
    """Spoken lines of a structured `dialogue` list ([{speaker, line, at}]), if the variant
    model has one; read defensively, since older models do not."""
    items = getattr(variant, "dialogue", None) or ()
    lines = []
    for item in items:
        line = item.get("line") if isinstance(item, Mapping) else getattr(item, "line", None)
        if line:
            lines.append(str(line))
    return tuple(lines)


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
    prompt = Prompt(variant.render(defaults), fields, settings.duration, _dialogue_lines(variant))
    return _lint(
        prompt,
        duration_s=settings.duration,
        capabilities=capabilities,
        shot=shot,
        variant=variant.id,
        allow=variant.allow,
    )


def _locate(project: Project, finding: Finding, variant: Variant) -> Finding:
    """The file and line of the finding: the field its evidence is in, else the variant."""
    keys = ("shot", finding.shot, "variant", finding.variant)
    line = project.line_of(*keys)
    evidence = finding.evidence.lower()
    names = ["prompt"] if not variant.structured else list(variant.fields())
    for name in names:
        value = (getattr(variant, name, None) or "").lower()
        if evidence and evidence in " ".join(value.split()):
            line = project.line_of(*keys, name) or line
            break
    else:
        if finding.rule in ("no-duration", "too-long"):
            line = project.line_of(*keys, "duration") or line
    try:
        file = str(project.path)
    except ValueError:
        file = ""
    return finding.model_copy(update={"file": file, "line": line})


def lint_project(project: Project, *, capabilities: Capabilities | None = None) -> list[Finding]:
    """Findings for every variant of every shot, in file order, each with file and line."""
    return [
        _locate(project, finding, variant)
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
    "DEFAULT_DURATION_S",
    "RULES",
    "Finding",
    "Rule",
    "Severity",
    "blocking",
    "lint_project",
    "lint_text",
    "lint_variant",
]
