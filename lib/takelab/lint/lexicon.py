"""Lexicons and patterns behind takelab.lint, and the small readers built on them
(counting subjects, finding a stated duration).

The word lists live in data files (`takelab/lint/data/*.txt`, one entry a line, `#`
comments), base forms only: lemminflect supplies the inflections, so a list never grows
by "walks", "walked", "walking". What stays here is grammar: regular expressions over
phrases ("a sign that reads X", "cuts to"). Everything is read and compiled once at
import; patterns run on lower-cased text unless their name says CASED.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files

from lemminflect import getAllInflections

from takelab.lint import grammar as gram

# -- helpers -----------------------------------------------------------------------------


@cache
def data(name: str) -> list[str]:
    """The entries of data/<name>.txt (blank lines and # comments skipped)."""
    text = files("takelab.lint").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.split("#", 1)[0].strip())]


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


def words(block: str) -> list[str]:
    """The whitespace-separated words of a block of text (keeps long lists readable)."""
    return block.split()


def words_re(words: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{alternation(words)})\b", flags)


# -- motion ------------------------------------------------------------------------------

# Motion verbs (base forms, data file); lemminflect recognises their inflections.
MOTION_LEMMAS = frozenset(data("motion_verbs"))
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
    r"shaking effect|camera shake|rack(?:ing)? focus)\b"
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

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_NUM = rf"(?P<num>\d+(?:\.\d+)?|{'|'.join(NUMBER_WORDS)}|half an?)"
DURATION = re.compile(
    rf"(?<![\d:.'’])\b{_NUM}\s*-?\s*(?P<unit>seconds?|secs?|s|minutes?|mins?)\b(?![:\d])"
)
# "the 80s", "1970s", "late 90s": decades, not durations.
DECADE_BEFORE = re.compile(
    r"(?:\bthe|\ban?|\bhis|\bher|\btheir|\bmy|\bat|\bin|['’]|\bearly|\bmid|\blate|\bmid-)\s*$"
)

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
COUNT_WORDS = {
    "couple": 2,
    "pair": 2,
    "twins": 2,
    "duo": 2,
    "trio": 3,
    "quartet": 4,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "dozen": 12,
    "several": 3,
    "dozens": 24,
    "hundreds": 100,
    "many": 3,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}

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

# -- legible text ------------------------------------------------------------------------

TEXT_NOUNS = data("text_nouns")
_TEXT_NOUN = alternation(TEXT_NOUNS)
_QUOTE = "['\"\u201c\u2018]"
LEGIBLE = re.compile(
    rf"\b(?:{_TEXT_NOUN})\b(?:\s+[\w'-]+){{0,4}}?\s+(?:that\s+|which\s+)?(?:reads|reading|"
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
    rf"(?:letters|lettering|type|font|neon)\b|(?:\w+\s+)?(?:{_TEXT_NOUN})\b)"
    rf"|\b(?:{_TEXT_NOUN})\b(?:\s+[\w'-]+){{0,4}}?\s+(?:that\s+|which\s+)?read\s*:?\s*{_QUOTE}"
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

# -- violence ----------------------------------------------------------------------------

_VICTIM = (
    r"(?:a|an|the|his|her|their)?\s*(?:\w+\s+)?(?:man|woman|person|people|prisoner|hostage|"
    r"child|soldier|victim|civilian|guard|officer|opponent|enemy|stranger|girl|boy|him|her|"
    r"them|crowd|himself|herself)"
)
VIOLENCE = re.compile(
    r"\bgor(?:e|y)\b|\bblood[\s-]?(?:spatter|splatter|spray|gush|pool|soak|"
    r"bath|shed|spurt)\w*|\bspatter\w* (?:of )?blood|\b(?:pools?|puddles?) of blood\b"
    r"|\bcovered in blood\b|\bblood (?:spray|gush|pour|pool|spurt|spatter|splatter|drip|"
    r"everywhere|streams|streaming)\w*|\bdecapitat\w*|\bbehead\w*|\bdismember\w*"
    r"|\bdisembowel\w*|\beviscerat\w*|\bmutilat\w*|\bentrails\b|\b(?:guts|intestines) "
    r"spill\w*|\bsevered (?:head|hand|arm|leg|limb|finger|foot)s?\b|\bimpal(?:e|es|ed|ing)\b"
    r"|\bslit\w*\s+(?:\w+\s+){0,2}?\w+(?:['’]s)?\s+throats?\b|\bthroat (?:is )?slit\b"
    r"|\bmassacre\w*|\bmurder(?:s|ed|"
    r"ing|er)?\b|\btortur\w*|\bexecut(?:es|ed|ing|ion) (?:of )?" + _VICTIM + r"\b"
    r"|\bto death\b|\bshot in the (?:head|chest|face|back|neck)\b|\b(?:gunshot|bullet|stab) "
    r"wounds?\b|\bshoot(?:s|ing)?\s+(?:\w+\s+)?dead\b|\bshoot(?:s|ing)? " + _VICTIM + r"\b"
    r"|\bstab(?:s|bing|bed)? (?:" + _VICTIM + r"|repeatedly)\b|\b(?:is|are|was|gets|being|"
    r"been) (?:stabbed|shot dead|beheaded|gunned down)\b|\bgunned down\b|\bopens? fire\b"
    r"|\b(?:mass|school) shooting\b|\bshooting spree\b|\btears? " + _VICTIM + r" apart\b"
    r"|\blimb from limb\b|\bripped apart\b|\bbleed(?:s|ing)? (?:out|to death)\b"
    r"|\bbloody (?:wound|corpse|body|stump|mess|carnage)\b|\blynch\w*|\bstrangl\w*"
    r"|\bcarnage\b|\bsplattered brains\b|\bbloody pulp\b|\blimbs flying\b"
    r"|\b(?:rips?|ripping|ripped|tears?|tearing|blows?|blowing|blown)\s+(?:[\w'’]+\s+){0,3}(?:body|bodies|limbs?)\s+apart\b"
)
VIOLENCE_BENIGN = re.compile(
    r"\b(?:murder of crows|bloody mary|blood orange|blood moon|al gore|(?:bored|scared|"
    r"frightened|tickled|worried|freezing|laughing|laughs) to death|killer (?:view|whale|"
    r"look|smile|heels|app|deal)|photo ?shoot|shooting star)\b"
)

# -- explicit ----------------------------------------------------------------------------

EXPLICIT = re.compile(
    r"\bnude\b(?![\s-]+(?:tones?|toned|colou?rs?|colou?red|palette|lipstick|lips?|lip gloss|"
    r"makeup|heels|shoes|beige|pink|shades?|hues?|nail|polish|stockings?|eyeshadow|blush|"
    r"linen))|\bnaked\b(?![\s-]+(?:eye|branch\w*|trees?|flame|light ?bulbs?|bulbs?|wires?|"
    r"truth|ambition|blade|steel|walls?|concrete|brick|bark|rock|stone|hillsides?))"
    r"|\bmak(?:es?|ing) love\b|\bmade love\b|\bnudity\b|\btopless\b|\bbottomless\b"
    r"|\bin the nude\b|\bsex\b|\bsexual\w*|\bsexually\b"
    r"|\bporn\w*|\berotic\w*|\borgasm\w*|\bgenital\w*|\bnipples?\b|\bstrip[\s-]?tease\w*"
    r"|\bstripper\b|\bstrips naked\b|\bintercourse\b|\bmasturbat\w*|\bx[\s-]rated\b|\bnsfw\b"
    r"|\bfull[\s-]frontal\b|\bbare breasts?\b|\bskinny[\s-]dipping\b|\bbdsm\b|\bfetish\w*"
    r"|\bhentai\b|\bonlyfans\b"
)

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


# -- reading prompts with the lexicons ---------------------------------------------------


PEOPLE_SET = set(PEOPLE)
VEHICLE_SET = set(VEHICLES)
ANIMATE = set(PEOPLE) | set(ANIMALS)
KNOWN = ANIMATE | VEHICLE_SET
PROP_BEFORE = re.compile(
    r"\b(?:parked|abandoned|stationary|empty|on|in|inside|behind|past|onto|into|from|off|of|"
    r"by|near|under|beside|against)\b(?:\s+\w+){0,2}$"
)
FIXED_COUNTS = {"couple": 2, "pair": 2, "twins": 2, "duo": 2, "trio": 3, "quartet": 4}
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
        if lemma is None or lemma in STATIVE_LEMMAS:
            continue
        prev_noun = noun_of(tokens[i - 1].text) if i else None
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if tok.text in FILM_NOUNS and not (i and tokens[i - 1].text in gram.AUXILIARIES):
            continue  # "product shot:", "a wide shot": the film's, not a verb
        light_change = lemma in ("fade", "dim", "brighten", "darken", "flicker", "pulse", "flash")
        if _subject_noun(tokens, i) in STILL_SUBJECTS and not light_change:
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
        if progressive or _animate_subject(tokens, i):
            return tok.text  # another dynamic verb of someone: "is bandaging", "Harris slapped"
    return None


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
