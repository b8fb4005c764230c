"""The rule checks behind takelab.lint.rules: each reads a prompt and returns a Hit (with the
evidence: the phrase that made it fire, or what was looked for and not found) or None.

`takelab.lint` wraps hits into findings with messages and fixes; the lexicons and the
grammar they use live in `lexicon` and its concept modules (`motion`, `subjects`,
`story`, `wording`, `content`, `figures`, `camera`, `speech`) and `grammar`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from takelab.lint import content, figures, motion, speech, story, subjects, wording
from takelab.lint import lexicon as lex
from takelab.lint.camera import camera_moves


@dataclass(frozen=True)
class Prompt:
    """What a rule looks at: the described text, and the structured fields if any."""

    text: str
    fields: Mapping[str, str] = field(default_factory=dict)
    duration_s: float | None = None
    dialogue: tuple[str, ...] = ()  # structured spoken lines, if the variant has them

    def body(self, *, without: str = "") -> str:
        """Lower-cased text to scan; for structured prompts, the fields but `without`."""
        if not self.fields:
            return self.text.lower()
        return " . ".join(v for k, v in self.fields.items() if k != without).lower()

    def filled(self, name: str) -> bool:
        """The field says something (not empty, not a placeholder like "tbd")."""
        value = self.fields.get(name, "")
        return bool(value) and not lex.PLACEHOLDER.match(value)


@dataclass(frozen=True)
class Hit:
    """A rule firing: the evidence (phrase matched) and values for the message."""

    evidence: str
    values: Mapping[str, str] = field(default_factory=dict)


def _blank(pattern: re.Pattern[str] | None, text: str) -> str:
    """Spaces over the matches of `pattern`, so later matches keep their offsets."""
    if pattern is None:
        return text
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _phrase(m: re.Match[str] | None) -> str | None:
    return " ".join(m.group(0).strip(" ,.;:\n").split()) if m else None


def _search(
    pattern: re.Pattern[str], text: str, benign: re.Pattern[str] | None = None
) -> Hit | None:
    found = _phrase(pattern.search(_blank(benign, text)))
    return Hit(found) if found else None


# -- absence rules -------------------------------------------------------------------------


def motion_in(p: Prompt) -> str | None:
    """The phrase that moves or changes something, if any."""
    action = p.fields.get("action", "")
    if p.filled("action") and not motion.STATIC_ACTION.match(action):
        return action
    text = speech.blank_quotes(p.body(without="camera"))
    if motion.declared_still(text):
        return None  # "in a still frame": what follows describes a still picture
    for _, phrase in camera_moves(text):  # a camera move alone is no motion in the scene
        text = text.replace(phrase, " " * len(phrase))
    text = _blank(lex.CAMERA, text)  # nor is camera vocabulary ("a wide establishing shot")
    text = _blank(motion.CAMERA_SUBJECT_VERB, _blank(motion.MOTION_BENIGN, text))
    if m := motion.FAST.search(_blank(motion.FAST_BENIGN, text)):
        return m.group(0)
    for m in motion.MOTION_PHRASES.finditer(text):
        if not motion.NEGATION_BEFORE.search(text[: m.start()]):
            return m.group(0)
    if verb := motion.moving_verb(text):
        return verb
    if event := motion.event_noun(text):
        return event
    if m := motion.SCREEN_SHOWING.search(text):
        return m.group(0)
    if speech.spoken_lines(p.text) or p.dialogue:
        return "spoken dialogue"
    return None


def _no_motion(p: Prompt) -> Hit | None:
    if motion_in(p):
        return None
    return Hit("no verb of motion or change (camera moves alone do not count)")


def _no_camera(p: Prompt) -> Hit | None:
    found = p.filled("camera") or lex.CAMERA.search(p.body(without="camera"))
    return None if found else Hit("no camera move, angle, framing or lens term")


def _no_lighting(p: Prompt) -> Hit | None:
    text = _blank(lex.LIGHT_BENIGN, p.body(without="lighting"))
    if p.filled("lighting") or lex.LIGHT.search(text):
        return None
    return Hit("no light source, light quality or time of day")


# -- rules that quote the prompt -----------------------------------------------------------

_QUOTED = re.compile(r"""\s*:?(\s*['"\u201c\u2018][^'"\u201d\u2019]{1,60}['"\u201d\u2019])""")


def _legible_text(p: Prompt) -> Hit | None:
    text = p.body()
    for m in wording.LEGIBLE.finditer(text):
        clause = re.split(r"[,.;:!?]", text[max(0, m.start() - 40) : m.start()])[-1]
        if wording.TEXT_NEGATION.search(clause) or wording.TEXT_NEGATION.match(m.group(0)):
            continue  # "a blank sign", "no text", "an unreadable label"
        if m.group(0).startswith("reads") and wording.SPEAKER_READS.search(text[: m.start() + 5]):
            continue  # "the anchor reads: ..." is speech
        if speech.inside_speech(p.text, m.start()):
            continue
        words = _QUOTED.match(text, m.end())  # quote the words asked for, too
        return Hit(
            " ".join(
                m.group(0).strip(" ,.;:").split() + ([words.group(1).strip()] if words else [])
            )
        )
    return None


def _crowded(p: Prompt) -> Hit | None:
    if p.fields:
        n = 0
        for part in re.split(r",|\band\b|&|\bplus\b", p.fields.get("subject", "").lower()):
            # a listed part with no known noun ("a lighthouse") is still one subject
            n += subjects.count_subjects(part) or int(bool(re.match(r"\s*(?:a|an|the)\b", part)))
        n += int(bool(p.fields.get("secondary")))
        text = p.fields.get("subject", "")
    else:
        text = p.text
        spoken = speech.blank_quotes(text)  # who is talked about is not in the picture
        if story.TIME_JUMP.search(text.lower()) or story.HARD_CUT.search(text.lower()):
            # a story across scenes: what matters is who shares one scene (one sentence);
            # someone met in an earlier scene is the lead beside extras in a later one
            sentences = re.split(r"(?<=[.!?])\s+", spoken)
            n = max(
                (
                    subjects.count_subjects(s, opens=k == 0, lead=k > 0)
                    for k, s in enumerate(sentences)
                ),
                default=0,
            )
        else:
            n = subjects.count_subjects(spoken)
        if n <= 2 and figures.public_group(text):
            n = max(n, 3)  # "The Beatles cross Abbey Road": a band is its members
    if n <= 2:
        return None
    return Hit(" ".join(text.split()[:12]), {"count": str(n)})


def _fast_motion(p: Prompt) -> Hit | None:
    text = p.body()
    for m in motion.FAST.finditer(_blank(motion.FAST_BENIGN, text)):
        if not motion.slowed(text, m.start(), m.end()):
            return Hit(_phrase(m) or "")
    return None


def _occlusion(p: Prompt) -> Hit | None:
    text = p.body()
    for m in story.OCCLUSION_BEHIND.finditer(text):
        words = re.findall(r"[a-z]+", m.group("rest"))
        sentence_start = max(text.rfind(".", 0, m.start()), text.rfind(";", 0, m.start()))
        if re.search(r"\bthen\b", text[sentence_start + 1 : m.start()]):
            continue  # "..., then the kangaroo jumps behind the board": it ends hidden
        if not any(subjects.animate(w) for w in words):
            return Hit(_phrase(m) or "")  # "walks behind a pillar", not "behind her dog"
    if hit := _search(story.OCCLUSION_REAPPEAR, text) or _search(story.OCCLUSION_EMERGE, text):
        return hit
    surfaced = story.surfacing(text)
    return Hit(surfaced) if surfaced else None


def _hard_cut(p: Prompt) -> Hit | None:
    text = p.body()
    if hit := _search(story.HARD_CUT, text, story.HARD_CUT_BENIGN):
        return hit
    if hit := _search(story.TIME_JUMP, text):
        return hit
    sequence = story.sequence_of_events(text)
    return Hit(sequence) if sequence else None


def _public_figure(p: Prompt) -> Hit | None:
    name = figures.public_figure(p.text)  # original case: single names need their capital
    return Hit(name) if name else None


def _violence(p: Prompt) -> Hit | None:
    return _search(content.VIOLENCE, p.body(), content.VIOLENCE_BENIGN)


def _explicit(p: Prompt) -> Hit | None:
    return _search(content.EXPLICIT, p.body())


def _negative_phrasing(p: Prompt) -> Hit | None:
    text = speech.blank_quotes(p.body())
    for m in wording.NEGATIVE_PHRASE.finditer(text):
        if wording.NARRATIVE_NEGATION.match(text, m.start()) or text[: m.start()].endswith("to "):
            continue  # "never able to", "to avoid releasing it": the story, not the picture
        thing = m.group("thing") or m.group("ing") or ""
        return Hit(_phrase(m) or "", {"thing": thing.strip()})
    return None


def _camera_conflict(p: Prompt) -> Hit | None:
    moves = camera_moves(p.body())
    kinds = list(dict.fromkeys(kind for kind, _ in moves))
    if len(kinds) < 2:
        return None
    first = next(phrase for kind, phrase in moves if kind == kinds[0])
    second = next(phrase for kind, phrase in moves if kind == kinds[1])
    return Hit(f"{first} ... {second}", {"first": first, "moves": str(len(kinds))})


_CHECKS: dict[str, Callable[[Prompt], Hit | None]] = {
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
    "negative-phrasing": _negative_phrasing,
    "camera-conflict": _camera_conflict,
}


def check(rule: str, p: Prompt) -> Hit | None:
    """One text rule on the prompt (None when it does not fire or is not a text rule)."""
    fn = _CHECKS.get(rule)
    return fn(p) if fn else None


def run_checks(p: Prompt) -> dict[str, Hit]:
    """Every text rule that fires on the prompt, by rule id."""
    return {rid: hit for rid, check in _CHECKS.items() if (hit := check(p)) is not None}


__all__ = ["Hit", "Prompt", "check", "motion_in", "run_checks"]
