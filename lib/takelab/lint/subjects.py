"""Subjects in a prompt: people, animals and vehicles, and how many of them a model must
keep track of (the crowded rule)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from takelab.lint import grammar as gram
from takelab.lint.lexicon import NUMBER_WORDS, data

# -- subjects (crowded) ------------------------------------------------------------------

PEOPLE = data("people")
PEOPLE_PLURAL_IRREGULAR = {"men": "man", "women": "woman", "children": "child", "people": "person"}
ANIMALS = data("animals")
VEHICLES = data("vehicles")
# Animal groups that are a subject in their own right when they open the prompt.
ANIMAL_GROUPS = {"pack", "herd", "pride", "troop", "packs", "herds"}
# "A swarm of fireflies", "a murder of crows": a mass that is scenery, not subjects.
COLLECTIVES = frozenset(data("collectives"))
GROUP_WORDS = data("groups")
BACKGROUND = re.compile(
    r"\b(?:background|distant|distance|blurred|blurry|out of focus|far off|far away|"
    r"faraway|silhouetted)\b"
)
# Words that fix a number ("a couple", "a trio"), then any count word or number.
FIXED_COUNTS = {"couple": 2, "pair": 2, "twins": 2, "duo": 2, "trio": 3, "quartet": 4}
COUNT_WORDS = (
    FIXED_COUNTS
    | {w: n for w, n in NUMBER_WORDS.items() if n > 1}
    | {"dozen": 12, "several": 3, "dozens": 24, "hundreds": 100, "many": 3}
)


# -- reading prompts with the lexicons ---------------------------------------------------


PEOPLE_SET = set(PEOPLE)
VEHICLE_SET = set(VEHICLES)
ANIMATE = set(PEOPLE) | set(ANIMALS)
KNOWN = ANIMATE | VEHICLE_SET
PROP_BEFORE = re.compile(
    r"\b(?:parked|abandoned|stationary|empty|on|in|inside|behind|past|onto|into|from|off|of|"
    r"by|near|under|beside|against)\b(?:\s+\w+){0,2}$"
)
WORD = re.compile(r"[a-z]+|\d+")
# People who are not in the picture do not count as subjects.
OFFSCREEN = re.compile(r"\b(?:off[\s-]?screen|off[\s-]camera|out of (?:frame|shot|view)|unseen)\b")
# A line or sentence introducing extras, background or what is far away.
BACKGROUND_LABEL = re.compile(
    r"(?:^|(?<=[.!?;])\s)\s*(?:background|midground|extras|props|foreground)\s*:", re.M
)


def noun_of(word: str) -> tuple[str, bool] | None:
    """(singular lemma, plural?) of a known person, animal or vehicle noun."""
    if word in KNOWN:
        return word, False
    if word in PEOPLE_PLURAL_IRREGULAR:
        return PEOPLE_PLURAL_IRREGULAR[word], True
    for lemma in gram.noun_lemmas(word):
        if lemma in KNOWN and lemma != word:
            return lemma, True
    return None


def animate(word: str) -> bool:
    """A person or an animal noun, singular or plural."""
    found = noun_of(word)
    return found is not None and found[0] in ANIMATE


def _count_before(tokens: Sequence[str], i: int) -> int | None:
    """A number word or digit up to three words before tokens[i]."""
    for j in range(i - 1, max(-1, i - 4), -1):
        tok = tokens[j]
        if tok.isdigit():
            return int(tok)
        if tok in COUNT_WORDS:
            return COUNT_WORDS[tok]
    return None


_CLAUSE = re.compile(r"[,.;:!?]|\b(?:as|while|when|whilst|where|then)\b")
_HYPOTHETICAL = re.compile(r"^\s*(?:if|though)\b")
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")


def _group_of_things(after: Sequence[str]) -> bool:
    """The words after "a group of" name things, not people or animals."""
    for word in after:
        if word in ("and", "or", "with", "in", "on", "to"):
            return False
        found = noun_of(word)
        if found:
            return found[0] not in ANIMATE
        if "NOUN" in gram.readings(word) and "ADJ" not in gram.readings(word):
            return True
    return False


def _vague_count(tokens: Sequence[str], i: int) -> bool:
    """The count before tokens[i] is "many", "several"... rather than a number."""
    return any(
        t in ("many", "several", "dozens", "hundreds", "some") for t in tokens[max(0, i - 3) : i]
    )


def _modifier(nxt: str) -> bool:
    """The next word is a plain noun, so this one modifies it ("commuter platform")."""
    r = gram.readings(nxt)
    return bool(nxt) and "NOUN" in r and "VERB" not in r and nxt not in gram.PREPOSITIONS


def count_subjects(text: str, *, opens: bool = True) -> int:
    """How many subjects a phrase asks the model to keep track of (heuristic).

    Singular people, animals and vehicles count once per noun; plural people count as
    many unless a number says otherwise; plural animals and vehicles are scenery (a flock,
    passing traffic) unless counted, opening the prompt or acting ("pandas running");
    a sentence or clause that puts them in the background, off screen or among the extras
    is left out.
    """
    total = 0
    singles: set[str] = set()
    counted: set[str] = set()
    first = opens
    low = BACKGROUND_LABEL.sub(". background:", text.lower())
    for sentence in _SENTENCE.split(low):
        if OFFSCREEN.search(sentence) or sentence.lstrip().startswith("background"):
            continue
        background_sentence = bool(BACKGROUND.search(sentence))
        for clause in _CLAUSE.split(sentence):
            tokens = WORD.findall(clause)
            if not tokens:
                continue
            if (
                BACKGROUND.search(clause)
                or (background_sentence and not first)
                or _HYPOTHETICAL.match(clause)
            ):
                first = False
                continue
            for i, tok in enumerate(tokens):
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
                opening = first and i < 4  # the grammatical subject of the prompt
                found = noun_of(tok)
                if i and tokens[i - 1] in ("no", "without", "nobody"):
                    continue  # "no people": nobody to keep track of
                if tok in FIXED_COUNTS and nxt != "of":
                    total += FIXED_COUNTS[tok]
                elif (
                    tok in GROUP_WORDS
                    and nxt == "of"
                    and i + 2 < len(tokens)
                    and (tokens[i + 2] in COUNT_WORDS or tokens[i + 2].isdigit())
                ):
                    number = tokens[i + 2]
                    total += int(number) if number.isdigit() else COUNT_WORDS[number]
                    continue  # "a family of four": four people
                elif tok in GROUP_WORDS and nxt == "of" and _group_of_things(tokens[i + 2 :]):
                    continue  # "an orchestra of flowers": not people
                elif tok in ANIMAL_GROUPS and opening:
                    if i and noun_of(tokens[i - 1]):  # "a wolf pack": the wolf names the pack
                        singles.discard(noun_of(tokens[i - 1])[0])  # type: ignore[index]
                        total -= 1
                    total += 3
                elif tok in GROUP_WORDS:
                    extras = singles and any(
                        t in ("with", "among", "amid", "before", "behind", "and", "s")
                        for t in tokens[max(0, i - 3) : i]
                    )
                    total += 1 if extras else 3  # "with an audience": extras beside a lead
                elif (
                    found
                    and found[1]
                    and i >= 2
                    and tokens[i - 1] == "of"
                    and (tokens[i - 2] in COLLECTIVES)
                ):
                    continue  # "a swarm of fireflies", "a flock of birds": scenery
                elif found and found[1]:
                    n = _count_before(tokens, i)
                    verb_form = "VERB" in gram.readings(tok)
                    if i and noun_of(tokens[i - 1]) and n is None and verb_form:
                        continue  # "a chef cooks": a verb after its subject
                    noun = found[0]
                    counted.add(noun)
                    acting = (
                        noun not in VEHICLE_SET
                        and nxt.endswith("ing")
                        and gram.verb_lemma(nxt) is not None
                    )
                    many = noun in PEOPLE_SET or opening or acting
                    vague = n is None or _vague_count(tokens, i)
                    if vague and many and singles and not opening:
                        n = 1  # extras beside a lead subject: one secondary, not a crowd
                    total += n if n is not None else (3 if many else 0)
                elif found and i >= 3 and tokens[i - 2] == "of" and not noun_of(tokens[i - 3]):
                    continue  # "the wings of a bat", "in the shape of a man": a part or a look
                elif found and found[0] not in singles and found[0] not in counted:
                    if _modifier(nxt) or (nxt and noun_of(nxt) and noun_of(nxt)[1]):  # type: ignore[index]
                        continue  # "commuter platform", "wolf pups": it names the next noun
                    if found[0] in VEHICLE_SET and PROP_BEFORE.search(
                        " ".join(tokens[max(0, i - 3) : i])
                    ):
                        continue  # "on a bike", "behind a parked car": a prop or the set
                    singles.add(found[0])
                    total += 1
            first = False
    return total
