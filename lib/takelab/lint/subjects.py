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
    r"faraway|silhouetted|behind (?:him|her|them))\b"
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
OFFSCREEN = re.compile(
    r"\b(?:off[\s-]?screen|off[\s-]camera|out of (?:frame|shot|view)|unseen|can be heard)\b"
)
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


_DEFINITE = frozenset({"the", "both", "these", "those", "this", "that", "their", "his", "her"})
# A place full of people: they are the setting ("a site filled with workers").
_FILLED = re.compile(
    r"\b(?:filled|full|crowded|packed|bustling|teeming|lined|thronged)\s+(?:with|of)\s+$"
)
# A speaker label opens a line of dialogue: it names someone already in the scene.
_SPEAKER_LABEL = re.compile(
    r"(?:^|(?<=[\n\-•]))\s*[a-z][\w -]{0,24}(?:\([^)\n]{0,30}\))?\s*:", re.M
)


class _Tally:
    """The running count of subjects over a prompt's clauses."""

    def __init__(self, first: bool, lead: bool) -> None:
        self.lead = lead  # a subject met before this text (an earlier scene of a story)
        self.total = 0
        self.singles: set[str] = set()  # singular subjects met, by lemma
        self.counted: set[str] = set()  # plural subjects met, by lemma
        self.unnamed = 0  # members of counted groups not yet singled out ("two singers")
        self.first = first  # still in the prompt's opening clause
        self.after_lone_person = False  # the last clause was just "the guest"

    def clause(self, tokens: Sequence[str]) -> None:
        if lead := _unknown_lead(tokens):
            self.singles.add(lead)  # "an adorable dalmation looks": a subject, unknown noun
            self.total += 1
        apposition = self.after_lone_person and tokens[0] in ("a", "an")
        self.after_lone_person = len(tokens) <= 3 and tokens[0] in _DEFINITE and animate(tokens[-1])
        for i, tok in enumerate(tokens):
            if apposition and i < 3 and animate(tok):
                continue  # "the guest, a woman in black": one person named twice
            self.total += self._word(tokens, i)
        self.first = False

    def _word(self, tokens: Sequence[str], i: int) -> int:
        """What tokens[i] adds to the count."""
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[max(0, i - 3) : i]
        if any(t in ("no", "without", "nobody") for t in before[-2:]):
            return 0  # "no people", "without any performers": nobody to keep track of
        if tok in FIXED_COUNTS and nxt != "of":
            if before[-1:] == ["the"] and (self.singles or self.counted):
                return 0  # "the couple": the two already met
            self.unnamed += FIXED_COUNTS[tok]
            return FIXED_COUNTS[tok]
        if tok in GROUP_WORDS or tok in ANIMAL_GROUPS:
            return self._group(tokens, i)
        found = noun_of(tok)
        if not found:
            return 0
        if found[1]:
            return self._plural(tokens, i, found[0])
        return self._single(tokens, i, found[0])

    def _group(self, tokens: Sequence[str], i: int) -> int:
        tok, after = tokens[i], tokens[i + 1 : i + 3]
        if after[:1] == ["of"] and after[1:] and (after[1] in COUNT_WORDS or after[1].isdigit()):
            self.counted.add("person")  # "a family of four": four people
            return int(after[1]) if after[1].isdigit() else COUNT_WORDS[after[1]]
        if after[:1] == ["of"] and _group_of_things(tokens[i + 2 :]):
            return 0  # "an orchestra of flowers": not people
        if after[:1] == ["of"]:
            self.counted.update(f[0] for w in tokens[i + 2 : i + 6] if (f := noun_of(w)))
        if tok in ANIMAL_GROUPS:
            if not (self.first and i < 4):
                return 0
            lead = noun_of(tokens[i - 1]) if i else None
            if lead and lead[0] in self.singles:  # "a wolf pack": the wolf names the pack
                self.singles.discard(lead[0])
                return 2
            return 3
        extras = self.singles and any(
            t in ("with", "among", "amid", "before", "behind", "and", "s")
            for t in tokens[max(0, i - 3) : i]
        )
        return 1 if extras else 3  # "with an audience": extras beside a lead

    def _plural(self, tokens: Sequence[str], i: int, noun: str) -> int:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = tokens[i - 1] if i else ""
        opening = self.first and i < 4  # the grammatical subject of the prompt
        if i >= 2 and prev == "of" and tokens[i - 2] in COLLECTIVES:
            return 0  # "a swarm of fireflies", "a flock of birds": scenery
        n = _count_before(tokens, i)
        if prev and noun_of(prev) and n is None and "VERB" in gram.readings(tok):
            return 0  # "a chef cooks": a verb after its subject
        if noun in self.counted or (noun in self.singles and prev in _DEFINITE):
            return 0  # "two singers ... both singers", "a girl ... the girls": met already
        self.counted.add(noun)
        vague = n is None or _vague_count(tokens, i)
        if vague and nxt == "s":
            return 0  # "people's emotions": whose, not who is there
        if vague and _FILLED.search(" ".join(tokens[:i]) + " "):
            return 0  # "a site filled with workers": the setting
        acting = noun not in VEHICLE_SET and _acts(nxt)  # "pandas running"
        many = noun in PEOPLE_SET or opening or acting
        if vague and many and not opening and (self.singles or self.total or self.lead):
            return 1  # extras beside a lead subject: one secondary, not a crowd
        if n is not None:
            self.unnamed += n
            return n
        return 3 if many else 0

    def _single(self, tokens: Sequence[str], i: int, noun: str) -> int:
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if noun in self.singles or noun in self.counted:
            return 0
        if i >= 3 and tokens[i - 2] == "of" and not noun_of(tokens[i - 3]):
            return 0  # "the wings of a bat", "in the shape of a man": a part or a look
        if _modifier(nxt) or animate(nxt) or (nxt and (f := noun_of(nxt)) and f[1]):
            return 0  # "commuter platform", "retriever dog", "wolf pups": it names the next
        if noun in VEHICLE_SET and PROP_BEFORE.search(" ".join(tokens[max(0, i - 3) : i])):
            return 0  # "on a bike", "behind a parked car": a prop or the set
        self.singles.add(noun)
        if self.unnamed and i and tokens[i - 1] in _DEFINITE and noun in PEOPLE_SET:
            self.unnamed -= 1
            return 0  # "two singers ... the male singer": one of them, singled out
        return 1


def _unknown_lead(tokens: Sequence[str]) -> str | None:
    """A clause opening with a noun the lexicons do not know, and its verb ("an adorable
    dalmation looks", "the Samoyed runs"): that noun is a subject."""
    if not tokens or tokens[0] not in ("a", "an", "the"):
        return None
    for k in range(1, min(len(tokens) - 1, 5)):
        word, verb = tokens[k], tokens[k + 1]
        if noun_of(word) or word in gram.PREPOSITIONS:
            return None
        unknown = len(word) > 3 and not gram.readings(word)
        if unknown and verb.endswith("s") and gram.verb_lemma(verb) not in (None, verb):
            return word
    return None


def _acts(word: str) -> bool:
    """The word after a plural noun is its verb, as an -ing form ("pandas running")."""
    return word.endswith("ing") and gram.verb_lemma(word) is not None


_LIST_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


def _listed_subjects(sentence: str) -> int:
    """A sentence opening with a list of three or more subjects and then their verb ("Fish,
    whales, sea turtles and sharks swim", "A whale, a bicycle, a notebook, and a lamp are
    racing"), at least two of them people, animals or vehicles: how many are listed."""
    known = 0
    for items, part in enumerate(_LIST_SPLIT.split(sentence.strip()), 1):
        tokens = WORD.findall(part)
        if not tokens:
            return 0
        phrase: list[str] = []
        for tok in tokens:
            if tok in gram.AUXILIARIES:
                break
            phrase.append(tok)
            if noun_of(tok):
                break
        head = phrase[-1] if phrase else ""
        noun = noun_of(head) is not None or (
            tokens[0] in ("a", "an", "the") and "NOUN" in gram.readings(head)
        )
        if not noun or len(phrase) > 4:
            return 0
        known += noun_of(head) is not None
        if len(phrase) < len(tokens):  # the verb follows: the list has ended
            return items if items >= 3 and known >= 2 else 0
    return 0


def count_subjects(text: str, *, opens: bool = True, lead: bool = False) -> int:
    """How many subjects a phrase asks the model to keep track of (heuristic).

    Singular people, animals and vehicles count once per noun; plural people count as
    many unless a number says otherwise; plural animals and vehicles are scenery (a flock,
    passing traffic) unless counted, opening the prompt or acting ("pandas running");
    a group mentioned again ("the couple", "both singers", "the man" of a couple) counts
    once; a sentence or clause that puts them in the background, off screen or among the
    extras is left out. `lead`: someone was met before `text` (extras stay extras).
    """
    tally = _Tally(opens, lead)
    low = _SPEAKER_LABEL.sub(" ", BACKGROUND_LABEL.sub(". background:", text.lower()))
    for sentence in _SENTENCE.split(low):
        if OFFSCREEN.search(sentence) or sentence.lstrip().startswith("background"):
            continue
        if listed := _listed_subjects(sentence):
            tally.total += listed
            tally.first = False
            continue
        background_sentence = bool(BACKGROUND.search(sentence))
        for clause in _CLAUSE.split(sentence):
            tokens = WORD.findall(clause)
            if not tokens:
                continue
            if (
                BACKGROUND.search(clause)
                or (background_sentence and not tally.first)
                or _HYPOTHETICAL.match(clause)
            ):
                tally.first = False
                continue
            tally.clause(tokens)
    return tally.total
