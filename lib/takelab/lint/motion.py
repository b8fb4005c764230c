"""Motion in a prompt: the verbs and phrases that move or change something (no-motion),
and rapid motion (fast-motion)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from takelab.lint import grammar as gram
from takelab.lint.lexicon import alternation, data, words_re
from takelab.lint.subjects import ANIMATE, animate, noun_of

# -- motion ------------------------------------------------------------------------------

# Verbs of change count even when light or the picture is their subject ("the light fades").
CHANGE_LEMMAS = frozenset(data("change_verbs"))
# Motion verbs (base forms, data file); lemminflect recognises their inflections.
MOTION_LEMMAS = frozenset(data("motion_verbs")) | CHANGE_LEMMAS
EVENT_NOUNS = frozenset(data("event_nouns"))
_EVENT_WORD = re.compile(rf"\b(?:{alternation(EVENT_NOUNS)})")
# A screen showing something: "televisions all showing programs", "a TV displays a film".
SCREEN_SHOWING = re.compile(
    rf"\b(?:{alternation(f for w in data('screens') for f in (w, w + 's'))})\b[^.;,]{{0,40}}?"
    r"\b(?:shows?|showing|plays?|playing|displays?|displaying|streams?|streaming)\b"
)
# "In a still frame", "a tranquil tableau": the prompt asks for a still picture.
_STILL_DECLARED = words_re(data("still_declared"))
# Prepositions that make an event a time of day ("at sunset"), not what is shown.
_TIME_BEFORE = frozenset({"at", "during", "before", "after", "until", "since", "by", "till"})
# Nouns that an event names the content of ("a celebration video", "a fight scene").
_FILM_HEADS = frozenset({"video", "clip", "footage", "film", "scene", "shot", "timelapse"})
# Words and phrases that move or change without a motion verb: rain, waves, smoke...
MOTION_PHRASES = words_re(data("motion_phrases"))
STATIVE_LEMMAS = frozenset(data("stative_verbs"))
# Past participles that describe a pose or state even after "is" ("its head is tilted").
STATE_PARTICIPLES = frozenset(data("state_participles"))
STILL_ADJECTIVES = frozenset(data("still_adjectives"))
FILM_NOUNS = frozenset({"shot", "shots", "frame", "frames"})
# A verb followed by one of these moves something along a path ("lights streaking past").
PATH_PARTICLES = frozenset(
    [
        "past",
        "through",
        "across",
        "along",
        "around",
        "away",
        "toward",
        "towards",
        "into",
        "onto",
        "off",
        "over",
        "upward",
        "downward",
        "upwards",
        "downwards",
        "forward",
        "backward",
        "backwards",
    ]
)
# Spans that look like motion but are not: the season, a dashboard, a noun phrase.
MOTION_BENIGN = re.compile(
    r"\b(?:fall (?:foliage|colou?rs|leaves|season|fashion)|in (?:the )?fall|"
    r"turn of the|left (?:side|hand|of)|on the left|to the left|point of view|"
    r"(?:ski|chair) lift|rolls? of|play of light|high[\s-]rises?|row of|rows of|"
    r"shaking effect|camera shake|rack(?:s|ed|ing)? focus)\b"
)
# A motion word right after these does not move anything ("no wind", "nothing moves").
NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|never|without|nothing|none|doesn't|don't)\s+(?:\w+\s+)?$"
)
# Camera moves phrased with motion verbs ("the camera rises", "drone shot circling her").
CAMERA_SUBJECT_VERB = re.compile(
    r"\b(?:camera|drone|shot|pov|lens|dolly|crane|gimbal|steadicam)(?:\s+(?:shot|camera|view))?"
    r"\s+(?:[a-z]+ly\s+)?[a-z]+"
)
STATIC_ACTION = re.compile(
    r"^\s*(?:(?:stands?|sits?|lies|lays?|waits?|poses?|remains?|rests?|is|are|stays?|"
    r"perches?|hangs?)\b[^.]*?\b(?:still|motionless|frozen|unmoving)\b|"
    r"(?:none|n/?a|tbd|still|static|motionless|nothing)\s*\.?\s*$)"
)


# -- fast motion -------------------------------------------------------------------------

FAST = re.compile(
    r"\b(?:sprint(?:s|ing|ed)?|races|racing|raced|darts?|darting|darted|dash(?:es|ing|ed)|"
    r"whip[\s-]?pans?|whip[\s-]?panning|zoom(?:s|ing|ed)?\s+(?:past|by|through|across|down|"
    r"along|away|off)|zips?|zipping|whizz?(?:es|ing|ed)?|hurtl(?:e|es|ing|ed)|"
    r"careen(?:s|ing|ed)?|high[\s-]speed|full speed|top speed|breakneck|frantic(?:ally)?|"
    r"rapid(?:ly)?|fast[\s-](?:moving|motion|paced)|speeding|speeds\s+(?:past|through|"
    r"down|along|by)|(?<!lightning )(?<!lighting )bolts?\s+(?:across|through|past|down|out|"
    r"away)|crash[\s-]zoom|"
    r"car chase|stampede|stampeding|gallop(?:s|ing|ed)?|blur of motion|in a blur|"
    r"(?:rush(?:es|ing)?|fl(?:y|ies|ying)|run(?:s|ning)?)\s+past|"
    r"race\s+(?:toward|towards|through|across|down|along|past|after|around)|"
    r"(?:scream|tear|blast|rocket|roar|hurtle|barrel)(?:s|ing|ed)?\s+(?:\w+\s+)?"
    r"(?:through|past|by|down|around|across)|"
    r"(?:a|the) race(?!\s*(?:car|track|course|horse)s?\b)|explo(?:de|des|ded|ding|sion|sions)|"
    r"swiftly|swift\s+(?:\w+\s+)?movements?|at high speed|"
    r"(?:at|with) (?:incredible|great|breakneck|blinding|lightning|high|full|top) speed|"
    r"streak(?:s|ed)?\s+across|accelerat\w*\s+(?:quickly|rapidly|fast)|"
    r"(?:moves?|moving|runs?|running|drives?|driving|flies|flying|spins?|spinning)\s+"
    r"(?:very\s+)?(?:fast|quickly))\b"
)
FAST_BENIGN = re.compile(
    r"\bracing[\s-]+(?:stripes?|bikes?|cars?|green|helmets?|suits?|flags?|trophy|trophies|"
    r"yachts?|game|team|pigeons?)\b|\brace[\s-]+cars?\b|\b(?:throw\w*|plays?|playing|"
    r"game of|set of|three)\s+darts\b|\bdarts?\s*board\b|\brapids\b"
)
SLOW_MOTION = re.compile(r"\bslow[\s-]?(?:motion|mo)\b")
# A manner that slows what the clause says ("slowly presses ... gradually tearing through").
SLOW_MANNER = re.compile(r"\b(?:slowly|gradually|gently|leisurely|lazily|calmly|unhurriedly)\b")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_CLAUSE_END = re.compile(r"[.!?;:,\n]|\b(?:while|as|and then|then)\b")


def _around(text: str, start: int, end: int, stop: re.Pattern[str]) -> str:
    """The span of `text` around [start, end) between two matches of `stop`."""
    left = max((m.end() for m in stop.finditer(text, 0, start)), default=0)
    right = stop.search(text, end)
    return text[left : right.start() if right else len(text)]


def slowed(text: str, start: int, end: int) -> bool:
    """The fast motion at [start, end) is slowed: its sentence asks for slow motion, or its
    clause for a slow manner ("slowly", "gradually")."""
    return bool(
        SLOW_MOTION.search(_around(text, start, end, _SENTENCE_END))
        or SLOW_MANNER.search(_around(text, start, end, _CLAUSE_END))
    )


def _animate_subject(tokens: Sequence[gram.Token], i: int) -> bool:
    """A person, an animal, a name or a personal pronoun before tokens[i] in its clause
    ("a rabbit in a suit | negotiates", "another | searches")."""
    for j in range(i - 1, max(-1, i - 7), -1):
        word = tokens[j].text
        if not tokens[j].word:
            return False
        if word.endswith("ly") and "NOUN" not in gram.readings(word):
            continue  # an adverb
        found = noun_of(word)
        if (found and found[0] in ANIMATE) or word in ("he", "she", "they", "who", "another"):
            return True
        closed = gram.DETERMINERS | gram.PREPOSITIONS | gram.NUMBERS | gram.NEVER_VERBS
        if word.isalpha() and len(word) > 2 and word not in closed and not gram.readings(word):
            return not word.endswith("ly")  # a name the dictionary does not know
        in_phrase = j > 0 and (
            tokens[j - 1].text in gram.PREPOSITIONS
            or (
                j > 1
                and tokens[j - 2].text in gram.PREPOSITIONS
                and tokens[j - 1].text in gram.DETERMINERS
            )
        )
        if (found or (gram.readings(word).get("NOUN") and word not in closed)) and not in_phrase:
            return False  # the nearest noun is the subject, and it is not alive
    return False


# Light and the picture itself "move" only in words: "sunlight filters through", "the
# scene shifts to" (a cut), "shadows stretch across" describe a still frame.
STILL_SUBJECTS = frozenset(data("still_subjects"))


def _subject_noun(tokens: Sequence[gram.Token], i: int) -> str:
    """The nearest noun before tokens[i] in its clause ("sunlight | filters")."""
    for j in range(i - 1, max(-1, i - 5), -1):
        word = tokens[j].text
        if not tokens[j].word:
            return ""
        if "NOUN" in gram.readings(word) and word not in gram.DETERMINERS:
            return word
    return ""


def moving_verb(text: str) -> str | None:
    """The first verb in `text` that moves or changes something, used as a verb: a motion
    verb with any subject, or any other non-stative verb in a verb slot after a person or
    an animal ("a boy bandages", "is cooking", "starts organizing")."""
    tokens = gram.tokenize(text)
    for i, tok in enumerate(tokens):
        lemma = gram.verb_lemma(tok.text)
        if lemma is None and i and gram.unknown_ing(tok.text) and animate(tokens[i - 1].text):
            return tok.text  # "a corgi vlogging": a verb the dictionary does not know yet
        if lemma is None or lemma in STATIVE_LEMMAS:
            continue
        prev_noun = noun_of(tokens[i - 1].text) if i else None
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if tok.text in FILM_NOUNS and not (i and tokens[i - 1].text in gram.AUXILIARIES):
            continue  # "product shot:", "a wide shot": the film's, not a verb
        if _subject_noun(tokens, i) in STILL_SUBJECTS and lemma not in CHANGE_LEMMAS:
            continue  # "sunlight streaming through the curtains" is a still picture
        prev_word = tokens[i - 1].text if i and tokens[i - 1].word else ""
        moved = nxt in PATH_PARTICLES or nxt in gram.PREPOSITIONS
        subject_before = prev_word not in gram.DETERMINERS and gram.nounish(prev_word)
        noun_too = "NOUN" in gram.readings(tok.text)
        past = gram.form_of(tok.text, lemma) == "past"
        path_verb = lemma in MOTION_LEMMAS and moved and not past
        if path_verb and (not noun_too or subject_before):
            return tok.text  # "koi fish circle in", "lights streaking past"
        if not gram.verb_use(tokens, i, states=STATE_PARTICIPLES):
            if tok.text.endswith("ing") and prev_noun and prev_noun[0] in ANIMATE:
                pass  # "a person running,": it moves
            elif (
                tok.text.endswith("ing")
                and lemma in MOTION_LEMMAS
                and gram.is_plural_noun(prev_word)
                and (not nxt or nxt in gram.CLAUSE_END)
            ):
                pass  # "streetlights passing,": a clause of its own, and they move
            elif (
                tok.text.endswith("ing")
                and lemma in MOTION_LEMMAS
                and tok.text not in STILL_ADJECTIVES
            ):
                if nxt.isalpha() and "NOUN" in gram.readings(nxt) and nxt not in gram.PREPOSITIONS:
                    return tok.text  # "flying cars", "falling leaves": they move
                continue
            else:
                continue  # a noun or an adjective here
        before = text[max(0, tok.start - 40) : tok.start]
        if NEGATION_BEFORE.search(before):
            continue  # "nothing moves"
        if lemma in MOTION_LEMMAS:
            return tok.text
        back = [t.text for t in tokens[max(0, i - 3) : i] if t.word]
        progressive = any(w in gram.AUXILIARIES for w in back[-2:])  # "is (gently|sword) ..."
        if nxt in PATH_PARTICLES and not tok.text.endswith("ed"):
            return tok.text  # "city lights streaking past"
        if progressive or prev_word == "then" or _animate_subject(tokens, i):
            # another dynamic verb of someone or next in a sequence: "is bandaging", "Harris
            # slapped", "then crumples it"
            return tok.text
    return None


def event_noun(text: str) -> str | None:
    """A noun that names something happening, as what the prompt shows: not a time ("at
    sunset") and not a modifier of another noun ("a race car"), except of the film itself
    ("a celebration video")."""
    if not _EVENT_WORD.search(text):
        return None  # the common case, without tokenizing
    tokens = gram.tokenize(text)
    for i, tok in enumerate(tokens):
        lemmas = {tok.text, *gram.noun_lemmas(tok.text)}
        if not lemmas & EVENT_NOUNS:
            continue
        prev = tokens[i - 1].text if i else ""
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        modifier = nxt.isalpha() and "NOUN" in gram.readings(nxt) and nxt not in _FILM_HEADS
        if prev in _TIME_BEFORE or (modifier and nxt not in gram.PREPOSITIONS):
            continue
        if not NEGATION_BEFORE.search(text[max(0, tok.start - 40) : tok.start]):
            return tok.text
    return None


def declared_still(text: str) -> bool:
    """The prompt opens by asking for a still picture ("In a still frame, ...", "A tranquil
    tableau of ..."); said later ("the entire tableau feels") it is a figure of speech."""
    return bool(_STILL_DECLARED.search(re.split(r"[,.;:!?]", text, maxsplit=1)[0]))
