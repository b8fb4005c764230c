"""Spoken lines in a prompt, for the dialogue-budget rule (and so that quoted speech is
not read as a sign's words or as a negation: "No way!" is a line, not "no way").

A double-quoted span is speech when a speech verb ("says", "whispers", "answers") or a
speaker label ("Detective:", "Woman (laughing):") comes just before it in the same line,
or when it continues a run of speech ("shouts "A!" and "B!""). Quotes after a sign, a
label or "reads" are the words on a thing, not speech.
"""

from __future__ import annotations

import re

# One double-quoted span (straight or curly); single quotes are apostrophes too often.
QUOTE = re.compile(r"[\"“”]([^\"“”\n]{1,400})[\"“”]")
SPEECH_BEFORE = re.compile(
    r"(?:\b(?:says?|said|saying|asks?|asked|asking|answers?|answered|replies|replied|shouts?|"
    r"shouted|shouting|whispers?|whispered|whispering|yells?|yelled|mutters?|muttered|calls? out|"
    r"exclaims?|exclaimed|adds?|added|sings?|sang|cries|cried|tells?|told|starts? saying|"
    r"responds?|continues?)\b[^\"“”\n]{0,12}"
    r"|(?:^|[\n\-•\"”]|[.!?]\s)\s*[A-Za-z][\w -]{0,24}(?:\s*\([^)\n]{0,30}\))?\s*:\s*"
    r"|\b(?:anchor|narrator|presenter|announcer|host|reporter|newsreader)\b[^\"“”\n]{0,60}\breads\s*:?\s*)$"
)
CHAIN_BEFORE = re.compile(r"^\s*(?:,|and|then|,\s*and)\s*$")
TEXT_BEFORE = re.compile(
    r"\b(?:reads?|read|sign|label|banner|poster|board|words?|text|letters|written|titled|"
    r"caption|headline|logo|slogan|name)\b[^\"“”\n]{0,20}$",
    re.IGNORECASE,
)
WORDS = re.compile(r"[A-Za-z0-9']+")
WORDS_PER_SECOND = 3.0  # a short spoken line is about 2-3 words a second
LINES_PER_4S = 2  # "about one or two short lines per 4 s"


def _speech_spans(text: str) -> list[re.Match[str]]:
    spans: list[re.Match[str]] = []
    last_end = -1
    for m in QUOTE.finditer(text):
        before = text[max(0, m.start() - 120) : m.start()]
        line_before = before.rsplit("\n", 1)[-1]
        chained = spans and last_end >= 0 and CHAIN_BEFORE.match(text[last_end : m.start()])
        speaker = SPEECH_BEFORE.search(line_before)
        reader = speaker is not None and "reads" in speaker.group(0)
        if chained or (speaker and (reader or not TEXT_BEFORE.search(line_before))):
            spans.append(m)
            last_end = m.end()
    return spans


def spoken_lines(text: str) -> list[str]:
    """The quoted spoken lines of a prompt, in order."""
    return [m.group(1).strip() for m in _speech_spans(text)]


def inside_speech(text: str, pos: int) -> bool:
    """Is offset `pos` of `text` inside a spoken line?"""
    return any(m.start() <= pos < m.end() for m in _speech_spans(text))


SINGLE_QUOTE = re.compile(r"(?<![A-Za-z])['‘]([^'’\n]{1,60})['’](?![A-Za-z])")


def blank_quotes(text: str) -> str:
    """Spaces over every quoted span (its words are said or written, not shown)."""
    text = QUOTE.sub(lambda m: " " * len(m.group(0)), text)
    return SINGLE_QUOTE.sub(lambda m: " " * len(m.group(0)), text)


def over_budget(lines: list[str], seconds: float) -> str | None:
    """Why the lines do not fit `seconds`, or None when they do."""
    words = sum(len(WORDS.findall(line)) for line in lines)
    max_lines = LINES_PER_4S * seconds / 4
    if len(lines) > max_lines:
        return f"{len(lines)} spoken lines in {seconds:g} s (about {max_lines:g} fit)"
    if words > WORDS_PER_SECOND * seconds:
        return f"{words} spoken words in {seconds:g} s (about {WORDS_PER_SECOND * seconds:g} fit)"
    return None


__all__ = ["blank_quotes", "inside_speech", "over_budget", "spoken_lines"]
