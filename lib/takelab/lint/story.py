"""A story told across time or space inside one clip: cuts and jumps in time or place
(hard-cut), and a subject hidden that must come back (occlusion)."""

from __future__ import annotations

import re

from takelab.lint import grammar as gram
from takelab.lint.lexicon import alternation, data, inflections

# -- occlusion ---------------------------------------------------------------------------

OCCLUSION_REAPPEAR = re.compile(
    r"\b(?:reappear\w*|re-?emerg\w*|(?:comes?|coming|came) back into view|back into view|"
    r"pops? back out|returns? into view|out the other side|(?:emerg\w*|pops?|popping|"
    r"comes?|coming|steps?|stepping|appears?|appearing)\s+(?:back\s+)?(?:out\s+)?"
    r"(?:on|from|at|out)\s+the\s+(?:other|far)\s+side)\b"
)
# Coming out from being hidden: "emerges from", "comes out of", "from behind a rock",
# "is behind a chair, then runs to ...", "peeks out", "veiling ... before parting again".
OCCLUSION_EMERGE = re.compile(
    r"\bemerg(?:e|es|ed|ing)\s+from\b|\bfrom behind\b|\bout from (?:behind|under|beneath)\b"
    r"|\b(?:comes?|came|coming|pops?|popping|popped|peeks?|peeking|peeked|crawls?|crawling|steps?|stepping)"
    r"\s+(?:\w+\s+)?out\b(?!\s+of\s+(?:the\s+)?(?:frame|shot|view|focus))"
    r"|\b(?:is|are|was|were|sits?|hides?|hiding|hid)\s+behind\b[^.;]{1,40}?\bthen\b"
    r"|\bveil\w*\b[^.;]{1,40}?\bbefore\s+(?:parting|lifting|clearing)\b"
)
# Verbs that carry a subject from one place to another: with "behind" they hide it.
LOCOMOTION = data("locomotion_verbs")
OCCLUSION_BEHIND = re.compile(
    rf"\b(?:{alternation(f for lemma in LOCOMOTION for f in inflections(lemma))})\s+"
    r"(?:\w+\s+)?behind\s+(?!(?:her|his|their|its|him|them|me|us|you|it|the scenes|and|as|"
    r"while|then|with)\b)(?:the\s+|a\s+|an\s+)?(?P<rest>(?:[\w-]+\s+){0,2}[\w-]+)"
)

# -- hard cut ----------------------------------------------------------------------------

HARD_CUT = re.compile(
    r"(?:^|[.;:,!?\u2014\u2013)\n]\s*|\bthen\s+|\band\s+)(?:we\s+)?(?:cut|cuts)\s+(?:away\s+)?to\b"
    r"|\b(?:jump|smash|match|hard|quick|fast|rapid)[\s-]cuts?\b|\bintercut\w*|\bcutaway\b"
    r"|\b(?:camera|film|edit|video|it)\s+cuts?\s+(?:back\s+)?(?:between|away)\b"
    r"|\bcuts?\s+between\s+(?:different|two|three|four|several|the|multiple)\b"
    r"|\bcuts?\s+from\b[^.;]{1,80}?\bto\b|\b(?:split[\s-]second|sudden|abrupt) cuts?\b"
    r"|\bmontage\b|\bflashback\b|\bthe (?:scene|shot|setting) (?:changes|shifts|switches|cuts)"
    r"|\bscene changes?\b|(?<![\w-])(?:next|second) (?:shot|scene)\b"
    r"|\b(?:transition\w*|shift\w*|switch\w*|chang\w*|jumps?)\s+to\s+(?:a|an|the)?\s*"
    r"(?:different|new|another|second|separate)\s+(?:location|place|scene|setting|room|city|"
    r"shot|world|time)\b"
    r"|\b(?:sequence|series|succession) of (?:shots|scenes|clips|cuts|vignettes)\b"
    r"|\bdissolves?\s+to\b"
)
# A jump in time or place told as a story: the clip would need cuts to show it.
TIME_JUMP = re.compile(
    r"\b(?:the )?next (?:day|morning|night|evening|week|month|year)\b"
    r"|(?:^|[.;!?]\s+)(?:later|meanwhile|afterwards|moments later)\b"
    r"|\b(?:the )?(?:video|film|clip) then (?:shows|cuts|moves|switches)\b"
    r"|\b(?:shot|scene) \d+\s*:|\bfollowed by (?:a|an) (?:shot|scene|close[\s-]?up|wide shot|cut)\b"
    r"|\b(?:in|on|during) the (?:first|second|third|fourth|fifth|final|last) (?:trial|stage|"
    r"round|challenge|chapter|part|act|task|test)\b"
    r"|\bon the (?:first|second|third|fourth|fifth|sixth|seventh|last|final|\d+(?:st|nd|rd|th)) "
    r"(?:day|night|morning|evening)\b|\b(?:days|weeks|months|years|hours) later\b"
    r"|\blater that (?:day|night)\b|\b(?:day|year) after (?:day|year)\b"
    r"|\bthe (?:scene|setting|shot|view) (?:shifts|changes|switches|moves|cuts|transitions) "
    r"(?:to|into)\b"
    r"|\btransition(?:s|ing)? (?:in)?to (?:a|an) "
    r"(?!shade|hue|colou?r|tone|soft|bright|pale|deep)\w+"
    r"|\b(?:movie |film )?trailer\b|\bthe (?:story|life story|tale|adventures?) of\b"
    r"|\balong the way\b|\bover the (?:years|decades|seasons)\b|\beventually\b"
    r"|\b\d+ shots\b|\bshot list\b|\bby the (?:first|second|third|fourth|fifth|final|last) "
    r"(?:lap|round|leg)\b|\bat the \d+ ?(?:km|kilometer|mile|meter|metre)s? mark\b"
)
HARD_CUT_BENIGN = re.compile(
    r"\b(?:no|without(?: any)?|zero) (?:hard |jump )?cuts\b|\bone continuous (?:shot|take)\b|"
    r"\bsingle (?:continuous )?take\b"
)

# A story told as a sequence: stages by ordinal ("during the third runner's handoff ...
# during the fourth"), or sentences opened by sequence adverbs ("First, he ... Next, he ...
# Finally, he"); a camera's own sequence ("Finally, the camera pulls back") is one shot.
_STAGE = re.compile(
    r"\b(?:in|on|during|at|by|after) the (first|second|third|fourth|fifth|sixth|final|last|next)\b"
)
_SEQUENCE_OPENER = re.compile(
    r"(?:^|[.!?;]\s+)(first|next|then|finally|afterwards|after that|later|eventually|"
    r"subsequently|at last|in the end)\b,?\s+(?!the (?:camera|scene|view|shot|video|frame)\b)"
)


def sequence_of_events(text: str) -> str | None:
    """Two or more stages or sequence openers in lower-cased text: the clip would need a cut
    between them. The evidence is where the second begins (its marker and a few words)."""
    for pattern in (_STAGE, _SEQUENCE_OPENER):
        found = {m.group(1): m for m in reversed(list(pattern.finditer(text)))}
        if len(found) >= 2:
            second = sorted(found.values(), key=lambda m: m.start())[1]
            start = second.start(1) if second.group(0)[:1] in ".!?;" else second.start()
            return " ".join(text[start:].split()[:5]).rstrip(",.;")
    return None


def surfacing(text: str) -> str | None:
    """A subject coming up out of water or cover, as a verb ("a seal surfaces", "the whale
    resurfaced"), not the noun ("reflective surfaces")."""
    if "surfac" not in text:
        return None  # the common case, without tokenizing
    tokens = gram.tokenize(text)
    for i, tok in enumerate(tokens):
        if gram.verb_lemma(tok.text) in ("surface", "resurface") and gram.verb_use(tokens, i):
            return " ".join(t.text for t in tokens[max(0, i - 2) : i + 1])
    return None
