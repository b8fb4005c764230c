"""The lint lexicon: reading the word lists in `data/` and the setting vocabulary
(camera, light, stated duration) the absence rules look for.

The word lists live in data files (`takelab/lint/data/*.txt`, one entry a line, `#`
comments), base forms only: lemminflect supplies the inflections, so a list never grows
by "walks", "walked", "walking". What stays in code is grammar: regular expressions over
phrases ("a sign that reads X", "cuts to"), one module per concept (`motion`, `subjects`,
`story`, `wording`, `content`, `figures`). Everything is read and compiled once at import;
patterns run on lower-cased text unless their name says CASED.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from lemminflect import getAllInflections

# -- helpers -----------------------------------------------------------------------------


@cache
def data(name: str) -> list[str]:
    """The entries of data/<name>.txt (blank lines and # comments skipped)."""
    text = files("takelab.lint").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.split("#", 1)[0].strip())]


@cache
def rule_texts() -> dict[str, dict[str, str]]:
    """data/rules.toml: per rule id, in order, its severity, title, description, message
    and advice."""
    text = files("takelab.lint").joinpath("data", "rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def inflections(lemma: str) -> set[str]:
    """Every form of a verb from lemminflect's tables: walk -> walks, walked, walking."""
    forms = {lemma}
    for values in getAllInflections(lemma, upos="VERB").values():
        forms.update(values)
    return forms


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first, spaces matching - or space."""
    items = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?") for w in items)


def phrase_forms(phrase: str) -> set[str]:
    """Every form of a phrase whose verbs are marked with + ("take+ off" -> takes off, took
    off, taking off...); a phrase without a mark is itself."""
    forms = [""]
    for word in phrase.split():
        options = inflections(word[:-1]) if word.endswith("+") else {word}
        forms = [f"{done} {option}".strip() for done in forms for option in sorted(options)]
    return set(forms)


def words_re(words: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """A pattern for whole words or phrases (with + marking verbs to inflect)."""
    phrases = {form for phrase in words for form in phrase_forms(phrase)}
    return re.compile(rf"\b(?:{alternation(phrases)})\b", flags)


# -- camera ------------------------------------------------------------------------------

CAMERA_TERMS = data("camera_terms")
CAMERA = re.compile(
    rf"\b(?:{alternation(CAMERA_TERMS)})\b"
    r"|\b(?:slow|slowly|quick|gentle|camera)\s+pans?\b|\bpans?\s+(?:left|right|across|over|"
    r"up|down|along|from|to)\b"
    r"|\b(?:static|still|fixed|locked|handheld|moving|floating|shaky|steady|slow)\s+camera\b"
    r"|\bcamera\s*(?::|angle|movement|move|moves|height|position|work|slowly|gently|"
    r"stays|holds|remains|is|rises|lowers|follows|tracks|orbits|circles|glides|pushes|"
    r"pulls|tilts|pans|drifts|cranes|sweeps|moving)\b"
    r"|(?<!at )(?<!to )(?<!into )(?<!toward )(?<!towards )(?<!past )\bthe camera\b"
    r"|\b(?:wide|close|medium|long|tracking|aerial|drone|overhead|static|establishing|"
    r"handheld|pov|insert|master|single|full|crane|dolly|reverse|profile|side|locked off|"
    r"continuous|telephoto|macro|level|angle|eye level|interior|exterior)[\s-]+shot\b"
    # a viewpoint named by its side: "front view", "a photorealistic front image", "side angle"
    r"|\b(?:front|frontal|side|top|rear|back|overhead|three-quarter|3/4)[\s-]+(?:view|image|"
    r"angle|perspective|shot|photo)s?\b"
    r"|\b\d+\s?mm lens\b|\b(?:fills?|filling|centered in|across) the frame\b"
    r"|\bshot (?:on|with) (?:a|an)\b[^.]{0,30}?\bcamera\b|\bcamera (?:rotates|captures|focuses)\b"
)

# -- lighting ----------------------------------------------------------------------------

LIGHT_WORDS = data("light_words")
LIGHT = re.compile(
    rf"\b(?:{alternation(LIGHT_WORDS)})\b"
    r"|\b(?:darker|brighter|darkens|darkening|brightens|brightening)\b"
    # fire gives light, but not as a kind of thing ("a fire dragon", "the land of fire")
    r"|\bfire\b(?!\s+(?:dragon|tower|giant|truck|engine|station|escape|fighter|hydrant|"
    r"extinguisher|alarm|ant|opal|brigade|department|drill)s?\b)(?<!land of fire)(?<!opens fire)"
    # a candle gives light when it burns, not as wax ("a candle as the temperature rises")
    r"|\b(?:burning|lit|flickering|glowing)\s+(?:\w+\s+){0,2}candles?\b|\bcandles?\s+(?:flame|flicker|glow|burn)"
    r"|\bcandles?\b[^.]{0,40}\bflames?\b"
    # "a dark alley", "the darkened hall": darkness as light; not dark hair or dark wood
    r"|\bdark(?:ened)?[\s-]+(?!(?:hair|chocolate|suit|coat|jacket|eyes|skin|wood|green|blue|"
    r"red|brown|grey|gray|purple|jeans|dress|clothes|fur|beer|roast|matter|humou?r|horse|"
    r"side|web|mode|navy|colou?rs?|tones?|ink|paint|blonde|brunette|oak|walnut)\b)[a-z]+"
)
# "light" that is about weight or colour, not illumination.
LIGHT_BENIGN = re.compile(
    r"\blight(?:ly)?[\s-]+(?:rain|breeze|wind|snow|drizzle|jacket|sweater|dress|shirt|coat|"
    r"blue|green|pink|grey|gray|brown|touch|footsteps|steps|meal|lunch|snack|load|weight|"
    r"traffic|aircraft|years?)\b|\bsun(?:flower|screen|glasses|dress|roof|hat)s?\b"
)
PLACEHOLDER = re.compile(
    r"^\s*(?:none|n/?a|tbd|tba|todo|unspecified|not specified|default|any|whatever|-+|\?+|"
    r"no lighting|no light|no camera|unknown|same)\s*\.?\s*$"
)

# -- duration ----------------------------------------------------------------------------

NUMBER_WORDS = {word: int(value) for word, value in map(str.split, data("numbers"))}
_NUM = rf"(?P<num>\d+(?:\.\d+)?|{'|'.join(NUMBER_WORDS)}|half an?)"
DURATION = re.compile(
    rf"(?<![\d:.'’])\b{_NUM}\s*-?\s*(?P<unit>seconds?|secs?|s|minutes?|mins?)\b(?![:\d])"
)
# "the 80s", "1970s", "late 90s": decades, not durations.
DECADE_BEFORE = re.compile(
    r"(?:\bthe|\ban?|\bhis|\bher|\btheir|\bmy|\bat|\bin|['’]|\bearly|\bmid|\blate|\bmid-)\s*$"
)


def durations_in(text: str) -> list[float]:
    """Clip lengths stated in the text, in seconds ("8 seconds", "10s", "a one-minute clip");
    decades ("the 80s", "1970s") and clock times are not durations."""
    out: list[float] = []
    for m in DURATION.finditer(text.lower()):
        num, unit = m.group("num"), m.group("unit")
        if num[0].isdigit():
            value = float(num)
        elif unit == "s":
            continue  # "two s" is not a unit; only digits take a bare "s"
        else:
            value = 0.5 if num.startswith("half") else float(NUMBER_WORDS[num])
        if unit == "s" and (
            value >= 100
            or (value >= 20 and value % 10 == 0 and DECADE_BEFORE.search(text.lower()[: m.start()]))
        ):
            continue
        out.append(value * 60 if unit.startswith("min") else value)
    return out
