"""Grammar-aware reading of a prompt for the linter: tokens, lemmas and parts of speech.

Lemmas and the parts of speech a word can take come from `lemminflect` (a dictionary
shipped in its wheel, no model to download), so a lexicon lists base forms only
("walk") and every inflection is recognised ("walks", "walked", "walking"; "geese" ->
"goose"). Which reading a word has in a prompt is decided from its neighbours with a few
rules of English word order, not from a word list:

- after a determiner or a number a word is a noun ("a walk", "two skis");
- an -ing/-ed form that can be an adjective, directly before a noun, is one ("a striking
  colour", "a crowned pigeon");
- a word that can be a noun or a verb is a verb after an auxiliary ("is running", "starts
  to dance", "was thrown"), or after its subject with the right agreement and followed by
  more of the clause ("a cloud changes from", "peacocks strut across"), and a noun at the
  end of a noun phrase ("porcelain cups,", "an oil painting.");
- a past participle after its noun with no auxiliary is a state ("words written on it").

No I/O beyond reading lemminflect's tables once (about 2 s, at the first prompt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lemminflect import getAllLemmas


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)?|[^\sA-Za-z\d]")
CLAUSE_END = set(',.;:!?()[]—–"“”')
DETERMINERS = _words("a an the his her its their my your our this that these those every no")
NUMBERS = _words(
    "one two three four five six seven eight nine ten eleven twelve several many few "
    "dozens dozen hundreds both"
)
AUXILIARIES = _words(
    "is are was were be been being am 's get gets got getting to will would can could may "
    "might must shall should do does did start starts started starting begin begins began "
    "beginning keep keeps kept continue continues continued stop stops stopped"
)
BE_FORMS = {"is", "are", "was", "were", "be", "been", "being", "am", "'s"}
# Aspect verbs take an -ing form ("stops moving"); before any other form they are nouns or
# verbs of their own ("a stop sign", "keeps the key").
ASPECT = _words(
    "start starts started starting begin begins began beginning keep keeps kept continue "
    "continues continued stop stops stopped"
)
SUBJECT_PRONOUNS = _words("he she it they we i you who which that")
# Closed-class words the dictionary also lists as verbs ("to while away").
NEVER_VERBS = _words(
    "while as then when where and or but since because before after until though still "
    "even just only well"
)
PREPOSITIONS = _words(
    "in on at with of from by near under behind beside for to into onto over across "
    "through inside outside against between among around along past toward towards up "
    "down off out away back about above below"
)


@dataclass(frozen=True)
class Token:
    """One word, number or punctuation mark, with its offsets in the lower-cased text."""

    text: str
    start: int
    end: int

    @property
    def word(self) -> bool:
        return self.text[0].isalpha()


def tokenize(text: str) -> list[Token]:
    """Words (with inner apostrophes and hyphens), numbers and punctuation marks."""
    low = text.lower().replace("’", "'")
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(low)]


@lru_cache(maxsize=20000)
def readings(word: str) -> dict[str, tuple[str, ...]]:
    """Part of speech -> lemmas the word can have ("leaves": NOUN leaf/leave, VERB leave)."""
    base = word.removesuffix("'s")
    if "-" in base and base.endswith("ing"):
        base = base.rsplit("-", 1)[-1]  # "skinny-dipping" reads as "dipping"
    return dict(getAllLemmas(base)) if base.isalpha() else {}


def unknown_ing(word: str) -> bool:
    """An -ing form the dictionary does not know ("vlogging"): a verb, by its ending."""
    return len(word) > 5 and word.endswith("ing") and word.isalpha() and not readings(word)


def verb_lemma(word: str) -> str | None:
    lemmas = readings(word).get("VERB")
    return lemmas[0] if lemmas else None


@lru_cache(maxsize=20000)
def noun_lemmas(word: str) -> tuple[str, ...]:
    """Noun lemmas of a word; a closed compound the dictionary lacks takes its last part's
    ("streetlights" -> streetlight, as "lights" -> light)."""
    lemmas = readings(word).get("NOUN", ())
    if lemmas or readings(word) or not word.isalpha():
        return lemmas
    for k in range(3, len(word) - 2):
        head, tail = word[:k], word[k:]
        if readings(head) and (tail_lemmas := readings(tail).get("NOUN")):
            return tuple(head + lemma for lemma in tail_lemmas)
    return ()


def is_plural_noun(word: str) -> bool:
    """A noun with a lemma other than itself ("geese", "people", "pups", "taxis")."""
    return any(lemma != word for lemma in noun_lemmas(word))  # "taxis": taxi (or taxis)


def form_of(word: str, lemma: str) -> str:
    """base, 3sg, ing or past (past tense or participle) for a verb form."""
    if word == lemma:
        return "base"
    if word.endswith("ing"):
        return "ing"
    if word.endswith("s") and not word.endswith("ss"):
        return "3sg"
    return "past"


def nounish(word: str) -> bool:
    """A noun, a pronoun, or a word the dictionary does not know (a name: "Harris")."""
    r = readings(word)
    unknown = not r and bool(re.fullmatch(r"[a-z][a-z'-]+", word))
    return "NOUN" in r or word in SUBJECT_PRONOUNS or unknown


def verb_use(
    tokens: list[Token], i: int, *, states: frozenset[str] = frozenset(), depth: int = 0
) -> bool:
    """Is tokens[i] used as a verb here (not a noun or an adjective)? `states` are past
    participles that describe a state even after "is" ("is tilted", "are closed")."""
    word = tokens[i].text
    r = readings(word)
    lemmas = r.get("VERB")
    if not lemmas or not tokens[i].word or word in NEVER_VERBS:
        return False
    j = i - 1
    if j > 0 and tokens[j].text.endswith("ly") and "NOUN" not in readings(tokens[j].text):
        j -= 1  # skip an adverb: "light slowly shifts"
    prev = tokens[j].text if j >= 0 and tokens[j].word else ""
    nxt = tokens[i + 1].text if i + 1 < len(tokens) else "."
    ends = nxt in CLAUSE_END
    form = form_of(word, lemmas[0])
    if prev in DETERMINERS or prev in NUMBERS or (prev and prev[0].isdigit()):
        return False  # "a walk", "two skis"
    if prev == "then":
        return True  # "reads a letter, then folds it"
    if prev in ASPECT and form != "ing":
        return False  # "a stop sign"
    if prev in AUXILIARIES:
        if form == "base" and prev in BE_FORMS:
            return False  # "the aesthetic is clean": an adjective after "is"
        return not (form == "past" and word in states)  # "is running", "was thrown"
    if _main_verb_slot(tokens, i, form) and not (
        depth == 0 and any(verb_use(tokens, k, states=states, depth=1) for k in _np_span(tokens, i))
    ):
        return not (form == "past" and word in states)  # "A cartoon kangaroo disco dances."
    other = set(r) - {"VERB"}
    if form == "ing" and not prev and "NOUN" in readings(nxt) and nxt not in PREPOSITIONS:
        return False  # "parking lot": a gerund naming the next noun
    adjective_slot = nounish(nxt) and nxt not in PREPOSITIONS and nxt not in DETERMINERS
    if form in ("ing", "past") and "ADJ" in r and not ends and adjective_slot:
        return False  # "a striking colour"
    after = tokens[i + 2].text if i + 2 < len(tokens) else ""
    if (
        form == "past"
        and "NOUN" in readings(nxt)
        and after.endswith(("s", "ed"))
        and "VERB" in readings(after)
    ):
        return False  # "a crowned pigeon showcases": a participle before its noun
    if (
        form == "past"
        and "NOUN" in readings(nxt)
        and "NOUN" in readings(after)
        and not {nxt, after} & PREPOSITIONS
    ):
        return False  # "a wool knitted motorcycle helmet": a participle before a compound
    if form == "past":
        # finite past after a subject ("Harris slapped Trump"); after a plain noun with a
        # preposition next it reads as a participle of state ("a cake covered in icing")
        if prev in SUBJECT_PRONOUNS:
            return True
        return bool(prev) and nounish(prev) and nxt not in PREPOSITIONS and not ends
    if not other:
        return form != "base" or prev in SUBJECT_PRONOUNS or (bool(prev) and is_plural_noun(prev))
    # a word that is a noun too: a verb only in a verb slot; at the end of a clause a noun
    # when its phrase is the object of a preposition ("with porcelain cups,")
    if ends and (form == "ing" or _in_prepositional_phrase(tokens, i)):
        return False
    if form == "ing":
        return not (prev and "ADJ" in readings(prev) and "VERB" not in readings(prev))
    if form == "3sg":
        if prev.endswith(("ing", "ed")):
            return False  # "holding hands": an object, not a verb
        if depth == 0 and j >= 0 and verb_use(tokens, j, states=states, depth=1):
            return False  # "protesters hold signs": the object of the verb before it
        return bool(prev) and (
            prev in SUBJECT_PRONOUNS or (nounish(prev) and not is_plural_noun(prev))
        )
    return prev in SUBJECT_PRONOUNS or (
        bool(prev) and (is_plural_noun(prev) or _compound_subject(tokens, i))
    )


def _in_prepositional_phrase(tokens: list[Token], i: int) -> bool:
    """The noun phrase ending before tokens[i] opens with a preposition."""
    j = i - 1
    while j >= 0 and tokens[j].word and tokens[j].text not in PREPOSITIONS:
        r = readings(tokens[j].text)
        if tokens[j].text not in DETERMINERS and "NOUN" not in r and "ADJ" not in r and r:
            return False
        if tokens[j].text in ("and", "but") and tokens[j + 1].text in DETERMINERS:
            return False  # "... into cold waters and a seal | surfaces": a clause of its own
        j -= 1
    return j >= 0 and tokens[j].text in PREPOSITIONS


def _compound_subject(tokens: list[Token], i: int) -> bool:
    """The sentence opens with nouns joined by "and" right before tokens[i] ("Three kittens,
    a puppy and a parrot | play"), not a list inside a phrase ("of pears and a glass")."""
    seen_and = False
    for j in range(i - 1, -1, -1):
        t = tokens[j]
        if t.text in ".;:!?":
            return seen_and
        if t.text == "and":
            seen_and = True
        elif t.text in PREPOSITIONS or (
            t.word and "VERB" in readings(t.text) and "NOUN" not in readings(t.text)
        ):
            return False
    return seen_and


def _noun_only(word: str) -> bool:
    r = readings(word)
    return "NOUN" in r and "VERB" not in r


def _np_span(tokens: list[Token], i: int) -> range:
    """Indexes of the words from the sentence start to just before tokens[i]."""
    start = i
    while start > 0 and tokens[start - 1].text not in ".!?;:":
        start -= 1
    return range(start + 1, i)


def _main_verb_slot(tokens: list[Token], i: int, form: str) -> bool:
    """tokens[i] is the first word after a sentence-opening noun phrase ("A cartoon kangaroo
    disco | dances", "The wooden car body | turned into"): the sentence's main verb."""
    start = i
    while start > 0 and tokens[start - 1].text not in ".!?;:":
        start -= 1
    words = tokens[start:i]
    if not words or not all(t.word for t in words):
        return False
    if (
        words[0].text not in DETERMINERS
        and words[0].text not in NUMBERS
        and not nounish(words[0].text)
    ):
        return False
    if form == "3sg" and any(t.text == "and" for t in words):
        return False  # "a frisbee and skis": a plural noun, not a verb
    for t in words:
        r = readings(t.text)
        if t.text in PREPOSITIONS or t.text in AUXILIARIES or (t.text == "and" and form != "base"):
            return False
        if r and "NOUN" not in r and "ADJ" not in r and t.text not in DETERMINERS | NUMBERS:
            return False
    return form != "ing" and not (
        form == "base"
        and not any(t.text == "and" for t in words)
        and not is_plural_noun(words[-1].text)
        and not _plural_name(words)
    )


def _plural_name(words: list[Token]) -> bool:
    """ "The Beatles", "the Smiths": "the" and an unknown name in -s name a group."""
    last = words[-1].text
    return words[0].text == "the" and last.endswith("s") and not readings(last)


def clauses(tokens: list[Token]) -> list[list[Token]]:
    """Token runs between clause punctuation."""
    out: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.text in CLAUSE_END:
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


__all__ = [
    "Token",
    "clauses",
    "is_plural_noun",
    "noun_lemmas",
    "readings",
    "tokenize",
    "verb_lemma",
    "verb_use",
]
