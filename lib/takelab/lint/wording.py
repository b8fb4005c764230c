"""Words in the picture: legible text asked for (legible-text), and negations a model
may render (negative-phrasing)."""

from __future__ import annotations

import re

from takelab.lint.lexicon import alternation, data

# -- legible text ------------------------------------------------------------------------

TEXT_NOUNS = data("text_nouns")
TEXT_NOUN = alternation(TEXT_NOUNS)
_QUOTE = "['\"\u201c\u2018]"
LEGIBLE = re.compile(
    rf"\b(?:{TEXT_NOUN})\b(?:\s+[\w'-]+){{0,4}}?\s+(?:that\s+|which\s+)?(?:reads|reading|"
    r"says|saying|spells|spelling|spelled out|spelt|displays the words?|bears the words?|"
    r"shows the words?|with the (?:words?|text|slogan|name|message|letters|lettering))\b"
    r"|\b(?:headlines?|subtitles?|subtitled|captions?|captioned|title cards?|on[\s-]?screen "
    r"text|text overlays?|lower thirds?|slogan|tagline|wordmark|lettering|typography|"
    r"inscription|written in icing|handwritten (?:note|message|letter|sign))\b"
    rf"|\b(?:words?|text|letters|phrase|message|slogan|name)\s*:?\s*{_QUOTE}"
    rf"|{_QUOTE}[^'\"\u201d\u2019]{{1,60}}['\"\u201d\u2019]\s+(?:written|printed|painted|"
    r"spelled|spelt|engraved|embroidered|stenciled|in (?:neon|bold|gold|big|large|block) "
    r"letters)"
    rf"|{_QUOTE}[^'\"\u201d\u2019]{{1,40}}['\"\u201d\u2019]\s+(?:in\s+(?:\w+\s+){{0,2}}"
    rf"(?:letters|lettering|type|font|neon)\b|(?:\w+\s+)?(?:{TEXT_NOUN})\b)"
    rf"|\b(?:{TEXT_NOUN})\b(?:\s+[\w'-]+){{0,4}}?\s+(?:that\s+|which\s+)?read\s*:?\s*{_QUOTE}"
    rf"|\b(?:reads|reading|spells|spelling|spelled out|spelt)\s*:?\s*{_QUOTE}"
    rf"|\b(?:writes?|writing|wrote|scrawls?|scrawling|scribbles?|scribbling|chalks?|"
    rf"types?|typing|spells? out)\s+{_QUOTE}"
    r"|\b(?:writes?|writing|wrote|scrawls?|scribbles?|chalks?)\b[^.;]{0,40}?\b(?:on|across) "
    r"(?:a|the)\s+(?:chalk|black|white|cork|sign|menu)?board\b"
)
# "reads:" after a person is speech, not text on a thing.
SPEAKER_READS = re.compile(
    r"\b(?:anchor|narrator|presenter|announcer|host|reporter|man|woman|he|she|they)\b[^.\"“]{0,60}\breads\s*:?\s*$"
)
TEXT_NEGATION = re.compile(
    r"\b(?:blank|unreadable|illegible|no|without|text[\s-]?free|wordless|blurred|blurry|"
    r"out of focus|unlabell?ed|plain|unmarked|gibberish)\b"
)

# -- negative phrasing ----------------------------------------------------------------------

_THING = (
    r"(?P<thing>[a-z][\w'-]*"
    r"(?:\s+(?!and\b|as\b|while\b|but\b|in\b|on\b|at\b|with\b|to\b)[a-z][\w'-]*){0,3})"
)
NEGATIVE_PHRASE = re.compile(
    r"\b(?:there (?:is|are) no|no(?:\s+other)?|without(?:\s+any)?|avoid(?:ing)?|nobody|no one|"
    r"do(?:es)? not (?:show|include|add|break|use|put|have)|"
    rf"don'?t (?:show|include|add|use))\s+{_THING}"
    r"|\bnot\s+(?P<ing>[a-z]+ing)\b"
)
# Negations that tell the story rather than ask for something to be left out.
NARRATIVE_NEGATION = re.compile(
    r"(?:no|without) (?:longer|matter|doubt|idea|memory|sooner|more than|less than|way|"
    r"time|one knows|hesitation|fear|warning|stopping|being|end)\b|not (?:only|just|even|to|"
    r"yet|quite|knowing|realizing|noticing|being)\b"
)
