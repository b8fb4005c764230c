"""Real, well-known people named in a prompt (the public-figure rule): full names, band
names, single names with their capital, and famous names misspelt by a letter."""

from __future__ import annotations

import re

from takelab.lint.lexicon import alternation, data

# -- public figures ----------------------------------------------------------------------

PUBLIC_FIGURES = data("public_figures")
PUBLIC_SURNAMES = data("public_single_names")
PUBLIC_GROUPS = data("public_groups")
PUBLIC_FULL = re.compile(rf"\b(?:{alternation(PUBLIC_FIGURES)})(?!\w)", re.IGNORECASE)
PUBLIC_GROUP = re.compile(rf"\b(?:{alternation(PUBLIC_GROUPS)})\b", re.IGNORECASE)
PUBLIC_SURNAME_CASED = re.compile(rf"\b(?:{alternation(PUBLIC_SURNAMES)})\b")
# A name followed by one of these is a place or a thing named after the person.
PLACE_AFTER = re.compile(
    r"^(?:\s*,?\s*(?:jr|sr)\.?)?\s*,?[\s-]+(?:square|center|centre|station|hole|airport|street|"
    r"st\b|avenue|ave\b|boulevard|blvd|bridge|park|memorial|falls|river|bay|hall|building|"
    r"tower|stadium|arena|museum|library|hotel|university|college|school|heights|road|rd\b|"
    r"drive|lane|plaza|monument|tunnel|island|lake|mountain|harbou?r|terminal|theatre|"
    r"theater|county|city|dc\b|d\.c\.|state|parkway|highway|expressway|circle|gardens?|"
    r"cove|point|peak|canyon|valley|glacier|beach|international|high school|institute|"
    r"foundation|prize|award|lighting|effect|town car|navigator|manitoba|ohio)",
    re.IGNORECASE,
)
PLACE_BEFORE = re.compile(
    r"(?:\bst\.?|\bsaint|\bsan|\bsanta|\bfort|\bmount|\bmt\.?|\blake|\bport|\bcape)\s+$",
    re.IGNORECASE,
)
# A name used as a style reference ("in the style of Van Gogh") does not depict the person.
STYLE_BEFORE = re.compile(
    r"(?:style of|inspired by|à la|a la|homage to|reminiscent of|after the manner of|"
    r"in the manner of|\bby)\s+$",
    re.IGNORECASE,
)
STYLE_AFTER = re.compile(r"^(?:['’]s)?[\s-]*(?:style|esque|inspired|ian)\b", re.IGNORECASE)


_SURNAMES_BY_FIRST: dict[str, list[str]] = {}
for _name in PUBLIC_FIGURES:
    if len(_name.split()) == 2:
        _first, _last = _name.lower().split()
        _SURNAMES_BY_FIRST.setdefault(_first, []).append(_last)
_PAIR = re.compile(r"\b([A-Za-z]+)\s+([A-Za-z]{4,})\b")


def _edits(a: str, b: str) -> int:
    """Levenshtein distance between two short words."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _misspelt(word: str, name: str) -> bool:
    """One letter off, or two in a name of five letters or more ("Hanx" for "Hanks")."""
    if word == name or abs(len(word) - len(name)) > 2:
        return False
    return _edits(word, name) <= (2 if len(name) >= 5 else 1)


def misspelt_figure(text: str) -> str | None:
    """A famous full name with its surname misspelt by one letter ("Tom Hanx")."""
    for m in _PAIR.finditer(text):
        first, last = m.group(1).lower(), m.group(2).lower()
        if any(_misspelt(last, s) for s in _SURNAMES_BY_FIRST.get(first, ())):
            return m.group(0)
    return None


def _shown(pattern: re.Pattern[str], text: str) -> str | None:
    """The first name `pattern` finds that shows the person: not a place named after them
    (Lincoln Center, St. Louis), not a style reference ("in the style of Van Gogh")."""
    for m in pattern.finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        if PLACE_AFTER.match(after) or PLACE_BEFORE.search(before):
            continue
        if STYLE_BEFORE.search(before) or STYLE_AFTER.match(after):
            continue
        return m.group(0)
    return None


def public_figure(text: str) -> str | None:
    """A real, well-known person or band shown in the prompt (text in its original case)."""
    for pattern in (PUBLIC_FULL, PUBLIC_GROUP, PUBLIC_SURNAME_CASED):
        if name := _shown(pattern, text):
            return name
    return misspelt_figure(text)


def public_group(text: str) -> str | None:
    """A band or a famous group shown in the prompt: several people at once."""
    return _shown(PUBLIC_GROUP, text)
