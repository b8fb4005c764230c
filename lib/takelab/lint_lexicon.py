"""Curated word lists and patterns behind takelab.lint, and the few small readers built
on them (counting subjects, spotting an action verb, finding a stated duration).

Kept apart from the rules so the linter reads as rules and the lexicons can grow without
touching it. Everything here is plain data compiled once at import: no I/O, no models.
Patterns run on lower-cased text unless their name says CASED.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# -- helpers -----------------------------------------------------------------------------


def verb_forms(spec: str) -> list[str]:
    """Inflections of a verb: "walk" -> walk walks walked walking.

    `spec` is "base[+][/extra/extra]": "+" doubles the last consonant (run -> running),
    extras are irregular forms (ran). A leading "-" drops the base form, for verbs whose
    bare form is mostly a noun in prompts ("-race": races, raced, racing but not race car).
    """
    head, *extra = spec.split("/")
    drop_base = head.startswith("-")
    double = head.endswith("+")
    base = head.strip("-+")
    forms = set(extra)
    if not drop_base:
        forms.add(base)
    if base.endswith("e") and not base.endswith("ee"):
        forms |= {base + "s", base + "d", base[:-1] + "ing"}
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied", base + "ing"}
    else:
        plural = base + "es" if base.endswith(("s", "sh", "ch", "x", "z", "o")) else base + "s"
        tail = base[-1] if double else ""
        forms |= {plural, base + tail + "ed", base + tail + "ing"}
    return sorted(forms)


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

# Verbs of motion or change. Camera moves (pan, dolly, orbit...) are deliberately absent:
# a camera moving over a still subject still makes a near-static clip.
MOTION_VERBS = words(
    """
walk stroll wander run+/ran jog+ sprint -race -dash dart hurry rush march stride/strode
step+ skip+ hop+ jump leap/leapt bounce climb crawl swim+/swam -dive/dove surf skate ski
ride/rode/ridden drive/drove/driven -cycle pedal paddle sail fly/flew/flown soar glide
hover float drift flutter flap+ swoop circle spin+/spun twirl turn roll tumble fall/fell
-drop+ -sink/sank/sunk -rise/risen -lift raise -swing/swung sway wave shake/shook
tremble shiver nod+ blink smile laugh cry wink dance sing/sang/sung play perform strum
speak/spoke talk whisper shout gesture -point reach grab+ pick pour stir+ chop+ slice
trot+ wag+ pat+ tap+ clap+ shrug+ rub+ bob+ dip+ write/wrote/written apply disappear
reappear vanish -zoom -cut/cuts/cutting knead knit+ sew -type -paint -draw/drew -sketch
mend -polish wipe -sweep/swept -wash -brush -tie -fold -open -close -push -pull
throw/threw/thrown catch/caught kick hit+ -chase carry drag+ hug+ kiss embrace enter
exit arrive approach -cross move travel flow stream drip+ splash spray spill ripple crash
-break/broke shatter crumble collapse explode burst erupt melt bloom blossom grow/grew
unfold unfurl shrink/shrank swell fade flicker -flash shimmer twinkle pulse flick ease
scatter swirl curl billow rattle knock weave/wove carve shape stretch yawn wade peck
twitch slap+ arrange dissolve burn emerge -tack gallop -bolt -zip+ dribble swerve
pounce chew sip+ eat/ate drink/drank bite stab+ shoot -beat slash punch tear/tore/torn
impale decapitate mutilate writhe undress butter flip+ fry/fried -plate tamp unveil
-vent scramble adjust strike/struck splatter spatter gush wake/woke blow/blew bubble
sizzle crackle glint sparkle -dim+ garnish tug+ peek descend ascend kneel/knelt crouch
leave -rage hide/hid/hidden -pass slide/slid -text -check bake skateboard snowboard
roar -gut+ -slit+ flex scurry scamper -serve cheer juggle boil simmer steam
plume wilt wither sprout ripen thaw -freeze/froze brighten darken morph transform
stumble -trip+ skid+ cruise accelerate -brake -launch -dock haul hoist tow -lower
-scale creep/crept sneak tiptoe stomp -stamp limp shuffle stagger wobble -rock teeter
vibrate quiver fidget jerk jolt whirl pirouette rotate revolve -spiral wriggle slither
squirm wiggle undulate surge crest trickle seep ooze leak spurt sprinkle spread shut+
slam+ beckon applaud sigh cough sneeze gulp swallow lick -whisk -peel -grate -mix -blend
-grill -roast sear toss deliver -hand dodge -duck spar+ wrestle sculpt -iron -mop -vacuum
scrub+ rinse -braid shave -button unzip untie -pack unpack -load unload -stack assemble
-hammer -saw/sawed/sawing -drill weld -sand -tune -drum conduct scroll swipe rummage
dig+/dug bury -plant -harvest gather feed/fed -pet+ -stroke -groom bathe flee/fled -escape
ignite smolder smoulder -flare glimmer -shift change waft puff howl gust rustle prowl -stalk
lunge canter graze flit nuzzle sniff -bark chirp -paw nibble gnaw splinter sweat
breathe inhale exhale blush frown grin+ giggle sob+ weep/wept scream yell chat+ argue
hurl fling/flung lob+ bat+ -bow greet salute build/built plough plow mow/mown till
rake shovel climb fish row+ hunt chop rise
"""
)

# Bare verb forms: after a determiner they are nouns ("a skateboard", "the fall").
VERB_BASES = {spec.split("/")[0].strip("+") for spec in MOTION_VERBS if not spec.startswith("-")}
DETERMINER_BEFORE = re.compile(
    r"\b(?:a|an|the|his|her|their|its|my|your|our|this|that|each|every)\s+$"
)

MOTION_WORDS = [f for spec in MOTION_VERBS for f in verb_forms(spec)] + [
    # weather, water, fire and time: things that move or change without a verb
    "rain",
    "raining",
    "rainfall",
    "downpour",
    "drizzle",
    "snowfall",
    "snowing",
    "snowflakes",
    "blizzard",
    "wind",
    "windy",
    "breeze",
    "gust",
    "gusts",
    "waves",
    "surf",
    "waterfall",
    "traffic",
    "fireworks",
    "flames",
    "smoke",
    "steam",
    "time lapse",
    "timelapse",
    "slow motion",
    "takes off",
    "lands",
    "landed",
    "sun sets",
    "sun setting",
    "sun rises",
    "sun rising",
    "tide comes",
    "tide slowly comes",
    "tide rolls",
    "tide rises",
    "in motion",
    "take notes",
    "takes notes",
    "taking notes",
    "makes love",
    "making love",
    "lights a",
    "lights an",
    "lights the",
    "lights his",
    "lights her",
    "lights up",
    "fades in",
    "fades out",
]
MOTION = words_re(MOTION_WORDS)
# Spans that look like motion but are not: the season, a dashboard, a noun phrase.
MOTION_BENIGN = re.compile(
    r"\b(?:fall (?:foliage|colou?rs|leaves|season|fashion)|in (?:the )?fall|"
    r"turn of the|left (?:side|hand|of)|on the left|to the left|point of view|"
    r"(?:ski|chair) lift|rolls? of|play of light|high[\s-]rises?|row of|rows of)\b"
)
# A motion word right after these does not move anything ("no wind", "nothing moves").
NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|never|without|nothing|none|doesn't|don't)\s+(?:\w+\s+)?$"
)
# Camera moves phrased with motion verbs ("the camera rises", "drone shot circling her").
CAMERA_SUBJECT_VERB = re.compile(
    r"\b(?:camera|drone|shot|pov|lens|dolly|crane|gimbal|steadicam)\s+(?:\w+\s+){0,2}?"
    r"(?:moves?|moving|rises?|rising|glides?|gliding|drifts?|drifting|floats?|floating|"
    r"circles?|circling|descends?|descending|ascends?|ascending|swoops?|swooping|"
    r"follows?|following|turns?|turning|sweeps?|sweeping|climbs?|climbing|drops?|"
    r"dropping|spins?|spinning|rolls?|rolling|soars?|soaring|travels?|travelling|"
    r"traveling|flies|flying|pushes|pushing|pulls|pulling|slides?|sliding|pans|tilts)\b"
)
# Verbs of state: after a subject they do not move it ("a woman stands", "guards holding").
STATIVE = set(
    words(
        """
    is are was were be been has have had seems seem looks look appears appear remains remain
    stays stay stands stand standing sits sit sitting lies lie lying lays rests rest resting
    waits wait waiting hangs hang hanging leans lean leaning wears wear wearing holds hold
    holding poses pose posing lounges lounge lounging sleeps sleep sleeping dozes dozing
    faces face facing overlooks overlooking watches watch watching stares stare staring
    gazes gaze gazing listens listen listening thinks think thinking reads read reading
    perches perching reclines reclining contains containing shows showing owns knows loves
    kneels kneeling sees see seeing feels feel feeling dreams dreaming lingers lingering
    """
    )
)
# Words that can follow a subject noun without being its verb.
FUNCTION_WORDS = set(
    words(
        """
    in on at with of and or from by near under behind beside for to the a an who that which
    whose as while when than into onto over across through inside outside against between
    among its his her their this these those s is
    """
    )
)
STATIC_ACTION = re.compile(
    r"^\s*(?:(?:stands?|sits?|lies|lays?|waits?|poses?|remains?|rests?|is|are|stays?|"
    r"perches?|hangs?)\b[^.]*?\b(?:still|motionless|frozen|unmoving)\b|"
    r"(?:none|n/?a|tbd|still|static|motionless|nothing)\s*\.?\s*$)"
)

# -- camera ------------------------------------------------------------------------------

CAMERA_TERMS = [
    "dolly",
    "dollies",
    "dollying",
    "panning",
    "panned",
    "whip pan",
    "tilt shift",
    "tilts up",
    "tilts down",
    "tilt up",
    "tilt down",
    "crane shot",
    "crane up",
    "crane down",
    "jib",
    "crash zoom",
    "slow zoom",
    "zoom in",
    "zoom out",
    "zooms in",
    "zooms out",
    "zooming in",
    "zooming out",
    "push in",
    "pushes in",
    "pushing in",
    "pull back",
    "pulls back",
    "pulling back",
    "pull out",
    "pulls out",
    "tracking",
    "tracks alongside",
    "follow shot",
    "following shot",
    "handheld",
    "hand held",
    "steadicam",
    "gimbal",
    "orbit",
    "orbits",
    "orbiting",
    "arc shot",
    "locked off",
    "locked down",
    "tripod",
    "close up",
    "closeup",
    "close ups",
    "closeups",
    "extreme close",
    "medium shot",
    "medium close",
    "medium wide",
    "wide shot",
    "wide angle",
    "establishing shot",
    "long shot",
    "full shot",
    "cowboy shot",
    "two shot",
    "insert shot",
    "aerial",
    "drone",
    "bird's eye",
    "birds eye",
    "bird's-eye",
    "worm's eye",
    "overhead shot",
    "overhead view",
    "overhead angle",
    "top down",
    "eye level",
    "low angle",
    "high angle",
    "dutch angle",
    "dutch tilt",
    "canted angle",
    "pov",
    "point of view",
    "first person",
    "over the shoulder",
    "macro",
    "telephoto",
    "long lens",
    "wide lens",
    "fisheye",
    "fish eye",
    "anamorphic",
    "rack focus",
    "focus pull",
    "framing",
    "in profile",
    "from above",
    "from below",
    "shot from",
    "seen from",
    "viewed from",
    "side view",
    "split diopter",
]
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
    r"|\b\d+\s?mm lens\b|\b(?:in|into|out of|fills?|filling|centered in|across) the frame\b"
)

# -- lighting ----------------------------------------------------------------------------

LIGHT_WORDS = [
    "light",
    "lights",
    "lighting",
    "lit",
    "sunlight",
    "sunlit",
    "moonlight",
    "moonlit",
    "starlight",
    "starlit",
    "daylight",
    "candlelight",
    "candlelit",
    "candles",
    "candle",
    "lamplight",
    "lamp",
    "lamps",
    "lantern",
    "lanterns",
    "firelight",
    "torchlight",
    "torchlit",
    "streetlight",
    "streetlights",
    "streetlamp",
    "streetlamps",
    "floodlight",
    "floodlights",
    "spotlight",
    "spotlights",
    "headlights",
    "backlit",
    "backlight",
    "backlighting",
    "rim light",
    "fireplace",
    "bonfire",
    "campfire",
    "neon",
    "glow",
    "glows",
    "glowing",
    "luminous",
    "illuminated",
    "silhouette",
    "silhouetted",
    "shadow",
    "shadows",
    "shadowy",
    "golden hour",
    "blue hour",
    "magic hour",
    "sunset",
    "sunrise",
    "dawn",
    "dusk",
    "twilight",
    "night",
    "nighttime",
    "midnight",
    "noon",
    "midday",
    "sun",
    "sunny",
    "sunshine",
    "sunbeam",
    "sunbeams",
    "overcast",
    "cloudy",
    "storm",
    "stormy",
    "dim",
    "dimly",
    "darkness",
    "in the dark",
    "after dark",
    "pitch black",
    "diffused",
    "dappled",
    "chiaroscuro",
    "high key",
    "low key",
    "volumetric",
    "god rays",
    "rays",
    "lens flare",
    "fluorescent",
    "tungsten",
    "incandescent",
    "softbox",
    "strobe",
    "strobes",
    "flash photography",
    "flashes",
    "flashbulbs",
    "camera flash",
    "chandelier",
    "lightning",
    "bioluminescent",
]
LIGHT = re.compile(
    rf"\b(?:{alternation(LIGHT_WORDS)})\b"
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
DECADE_BEFORE = re.compile(r"(?:\bthe|\ban|['’]|\bearly|\bmid|\blate|\bmid-)\s*$")

# -- subjects (crowded) ------------------------------------------------------------------

PEOPLE = words(
    """
sunbather man woman boy girl child kid person baby toddler teenager teen guy lady gentleman chef
cook barista waiter waitress bartender dancer ballerina musician guitarist drummer singer
saxophonist violinist pianist soldier knight samurai warrior detective doctor nurse
farmer fisherman shepherd hiker runner jogger sprinter cyclist skier surfer skater
skateboarder swimmer climber driver pilot astronaut photographer painter artist potter
baker butcher barber florist seamstress tailor clockmaker student teacher worker
grandmother grandfather grandma grandpa mother father mom dad son daughter granddaughter
grandson sister brother wife husband bride groom friend stranger traveler traveller
tourist commuter monk priest nun king queen prince princess model actor actress athlete
player boxer wrestler officer policeman cop guard prisoner hostage victim gunman zombie
robot android alien cowboy pirate ninja wizard witch clown protester receptionist
sommelier owner keeper kayaker passenger vendor merchant mechanic scientist motorcyclist
biker rider pedestrian fan spectator patient hunter assassin bodybuilder stripper
engineer employee shopper customer diner reveler reveller partygoer villager
refugee protestor marcher mourner worshipper bystander onlooker sailor fighter guest
visitor resident neighbor neighbour colleague coworker gymnast diver lifeguard firefighter
pupil teammate surgeon chaser rancher miner explorer
"""
)
PEOPLE_PLURAL_IRREGULAR = {"men": "man", "women": "woman", "children": "child", "people": "person"}
ANIMALS = words(
    """
dog puppy cat kitten fox horse deer owl cheetah gazelle parrot moose bear wolf lion tiger
elephant giraffe zebra rabbit hare squirrel mouse rat monkey gorilla hummingbird eagle
hawk heron swan duck goose greyhound retriever snail turtle tortoise frog lizard snake
dolphin whale shark octopus jellyfish penguin seal otter cow goat pig donkey camel
dragonfly butterfly
"""
)
VEHICLES = words(
    """
car truck bus tram train motorcycle motorbike bicycle bike scooter boat sailboat ship
yacht plane airplane helicopter taxi van jeep tractor kayak canoe
"""
)
# Animal groups that are a subject in their own right when they open the prompt.
ANIMAL_GROUPS = {"pack", "herd", "pride", "troop", "packs", "herds"}
GROUP_WORDS = words(
    """
crowd crowds group groups team gang band orchestra choir army mob troupe squad platoon
audience family families horde congregation
"""
)
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
    r"down|along|by)|bolts?\s+(?:across|through|past|down|out|away)|crash[\s-]zoom|"
    r"car chase|stampede|stampeding|gallop(?:s|ing|ed)?|blur of motion|in a blur|"
    r"(?:rush(?:es|ing)?|fl(?:y|ies|ying)|run(?:s|ning)?)\s+past|"
    r"race\s+(?:toward|towards|through|across|down|along|past|after|around)|"
    r"(?:scream|tear|blast|rocket|roar|hurtle|barrel)(?:s|ing|ed)?\s+(?:\w+\s+)?"
    r"(?:through|past|by|down|around|across)|"
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
# Verbs that carry a subject from one place to another: with "behind" they hide it.
LOCOMOTION = words(
    """
walk run+/ran go/goes/went/gone pass move drive/drove ride/rode swim+/swam fly/flew
duck slip+ hide/hid crawl step+ trot+ roll spin+/spun dart dash wander stroll slide/slid
glide float drift sail skate cycle jog+ sneak creep/crept race sprint hurry rush march
gallop hop+ jump leap/leapt scamper scurry scuttle dodge weave/wove travel cruise zoom
speed/sped disappear vanish dip+ pedal paddle waddle tiptoe shuffle wade swerve
"""
)
OCCLUSION_BEHIND = re.compile(
    rf"\b(?:{alternation(f for spec in LOCOMOTION for f in verb_forms(spec))})\s+"
    r"(?:\w+\s+)?behind\s+(?!(?:her|his|their|its|him|them|me|us|you|it|the scenes|and|as|"
    r"while|then|with)\b)(?:the\s+|a\s+|an\s+)?(?P<rest>(?:[\w-]+\s+){0,2}[\w-]+)"
)

# -- hard cut ----------------------------------------------------------------------------

HARD_CUT = re.compile(
    r"(?:^|[.;:,!?\u2014\u2013]\s*|\bthen\s+|\band\s+)(?:we\s+)?(?:cut|cuts)\s+(?:away\s+)?to\b"
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
HARD_CUT_BENIGN = re.compile(
    r"\b(?:no|without(?: any)?|zero) (?:hard |jump )?cuts\b|\bone continuous (?:shot|take)\b|"
    r"\bsingle (?:continuous )?take\b"
)

# -- legible text ------------------------------------------------------------------------

TEXT_NOUNS = words(
    """
sign signs signboard banner billboard poster placard board chalkboard blackboard
whiteboard menu label labels tag logo t-shirt shirt tee mug screen monitor card note
letter headline newspaper cover plaque marquee sticker tattoo graffiti storefront
lettering jersey plate cake wall door window neon book
"""
)
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
    rf"|\b(?:reads|reading|spells|spelling|spelled out|spelt)\s*:?\s*{_QUOTE}"
    rf"|\b(?:writes?|writing|wrote|scrawls?|scrawling|scribbles?|scribbling|chalks?|"
    rf"types?|typing|spells? out)\s+{_QUOTE}"
    r"|\b(?:writes?|writing|wrote|scrawls?|scribbles?|chalks?)\b[^.;]{0,40}?\b(?:on|across) "
    r"(?:a|the)\s+(?:chalk|black|white|cork|sign|menu)?board\b"
)
TEXT_NEGATION = re.compile(
    r"\b(?:blank|unreadable|illegible|no|without|text[\s-]?free|wordless|blurred|blurry|"
    r"out of focus|unlabell?ed|plain|unmarked|gibberish)\b"
)

# -- violence ----------------------------------------------------------------------------

_VICTIM = (
    r"(?:a|an|the|his|her|their)?\s*(?:\w+\s+)?(?:man|woman|person|people|prisoner|hostage|"
    r"child|soldier|victim|civilian|guard|officer|opponent|enemy|stranger|girl|boy|him|her|"
    r"them|crowd|himself|herself)"
)
VIOLENCE = re.compile(
    r"\bgor(?:e|y)\b|\bblood[\s-]?(?:spatter|splatter|spray|gush|pool|soak|"
    r"stain|bath|shed|spurt)\w*|\bspatter\w* (?:of )?blood|\b(?:pools?|puddles?) of blood\b"
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
    r"|\bcarnage\b|\bsplattered brains\b"
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

PUBLIC_FIGURES = """
Barack Obama|Michelle Obama|Donald Trump|Melania Trump|Joe Biden|Kamala Harris|Hillary Clinton|
Bill Clinton|George W. Bush|George Bush|Vladimir Putin|Xi Jinping|Angela Merkel|
Emmanuel Macron|Volodymyr Zelensky|Volodymyr Zelenskyy|Narendra Modi|Boris Johnson|
Rishi Sunak|Keir Starmer|Justin Trudeau|Benjamin Netanyahu|Recep Tayyip Erdogan|Kim Jong Un|
Kim Jong-un|Kim Jong-il|Jacinda Ardern|Nelson Mandela|Margaret Thatcher|Winston Churchill|
John F. Kennedy|John F Kennedy|JFK|Abraham Lincoln|George Washington|Ronald Reagan|
Richard Nixon|Franklin D. Roosevelt|Franklin Roosevelt|Theodore Roosevelt|Mahatma Gandhi|
Martin Luther King|Adolf Hitler|Joseph Stalin|Mao Zedong|Fidel Castro|Che Guevara|
Napoleon Bonaparte|Queen Elizabeth|King Charles|Prince William|Prince Harry|Meghan Markle|
Kate Middleton|Princess Diana|Pope Francis|Pope Benedict|Pope Leo|Dalai Lama|
Alexandria Ocasio-Cortez|Bernie Sanders|Nancy Pelosi|Mike Pence|Ron DeSantis|Al Gore|
Osama bin Laden|Saddam Hussein|Muammar Gaddafi|Benito Mussolini|Vladimir Lenin|Karl Marx|
Queen Victoria|Cleopatra|Julius Caesar|Joan of Arc|Anne Frank|Mother Teresa|Rosa Parks|
Malcolm X|Harriet Tubman|Frederick Douglass|Greta Thunberg|Malala Yousafzai|
Elon Musk|Mark Zuckerberg|Jeff Bezos|Bill Gates|Steve Jobs|Tim Cook|Sundar Pichai|
Satya Nadella|Sam Altman|Jensen Huang|Larry Page|Sergey Brin|Warren Buffett|Jack Ma|
Tom Cruise|Tom Hanks|Brad Pitt|Angelina Jolie|Leonardo DiCaprio|Scarlett Johansson|
Keanu Reeves|Johnny Depp|Will Smith|Morgan Freeman|Meryl Streep|Robert Downey Jr|
Dwayne Johnson|Jennifer Lawrence|Jennifer Aniston|Jennifer Lopez|Margot Robbie|Zendaya|
Timothée Chalamet|Timothee Chalamet|Ryan Gosling|Ryan Reynolds|Emma Watson|Emma Stone|
Natalie Portman|Nicole Kidman|Julia Roberts|George Clooney|Denzel Washington|
Samuel L. Jackson|Harrison Ford|Arnold Schwarzenegger|Sylvester Stallone|Jackie Chan|
Bruce Lee|Marilyn Monroe|Audrey Hepburn|Charlie Chaplin|Clint Eastwood|Al Pacino|
Robert De Niro|Jack Nicholson|Anthony Hopkins|Cate Blanchett|Kate Winslet|Hugh Jackman|
Chris Hemsworth|Chris Evans|Gal Gadot|Henry Cavill|Pedro Pascal|Sydney Sweeney|
Anya Taylor-Joy|Benedict Cumberbatch|Daniel Radcliffe|Keira Knightley|Nicolas Cage|
Jim Carrey|Adam Sandler|Oprah Winfrey|Ellen DeGeneres|Jimmy Fallon|MrBeast|Kim Kardashian|
Kylie Jenner|Taylor Swift|Beyoncé|Beyonce|Rihanna|Lady Gaga|Ariana Grande|Billie Eilish|
Kanye West|Jay-Z|Eminem|Snoop Dogg|Justin Bieber|Ed Sheeran|Harry Styles|Dua Lipa|
Bad Bunny|Shakira|Michael Jackson|Elvis Presley|Freddie Mercury|David Bowie|John Lennon|
Paul McCartney|Bob Dylan|Bob Marley|Kurt Cobain|Whitney Houston|Frank Sinatra|Mick Jagger|
Dolly Parton|Britney Spears|Miley Cyrus|Katy Perry|Selena Gomez|Travis Scott|Kendrick Lamar|
Olivia Rodrigo|Sabrina Carpenter|Bruno Mars|The Weeknd|Cristiano Ronaldo|Lionel Messi|
Neymar|Kylian Mbappé|Kylian Mbappe|LeBron James|Michael Jordan|Kobe Bryant|Stephen Curry|
Serena Williams|Venus Williams|Roger Federer|Rafael Nadal|Novak Djokovic|Usain Bolt|
Tiger Woods|Muhammad Ali|Mike Tyson|Tom Brady|Simone Biles|Michael Phelps|Lewis Hamilton|
Max Verstappen|David Beckham|Wayne Gretzky|Shohei Ohtani|Conor McGregor|Diego Maradona|
Pelé|Albert Einstein|Isaac Newton|Marie Curie|Stephen Hawking|Nikola Tesla|Charles Darwin|
Leonardo da Vinci|Vincent van Gogh|Van Gogh|Pablo Picasso|Frida Kahlo|Andy Warhol|
Salvador Dalí|Salvador Dali|William Shakespeare|Wolfgang Amadeus Mozart|
Ludwig van Beethoven|Neil Armstrong|Buzz Aldrin|Amelia Earhart|Walt Disney|
Steven Spielberg|Quentin Tarantino|Stanley Kubrick|Alfred Hitchcock|Wes Anderson|
Christopher Nolan|Martin Scorsese|Banksy
""".replace("\n", "").split("|")
# Surnames (and single names) famous enough to name one person, matched with their
# capital letter so "a trump card" stays a card. Names shared with places or common words
# (Washington, Lincoln, Jackson, Kennedy, Tesla, Darwin, Madonna) are left to full names.
PUBLIC_SURNAMES = words(
    """
Obama Trump Biden Putin Merkel Macron Zelensky Zelenskyy Netanyahu Erdogan Trudeau Mandela
Gandhi Hitler Stalin Mussolini Einstein Zuckerberg Bezos Musk Kardashian Messi Ronaldo
Mbappé Mbappe Federer Nadal Djokovic DiCaprio Schwarzenegger Stallone Tarantino Spielberg
Kubrick Hitchcock Picasso Warhol Shakespeare Beethoven Mozart Napoleon Churchill Thatcher
Nixon Lenin Gaddafi Thunberg Oprah Elvis Obamas
"""
)
PUBLIC_FULL = re.compile(rf"\b(?:{alternation(PUBLIC_FIGURES)})(?!\w)", re.IGNORECASE)
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
    r"in the manner of)\s+$",
    re.IGNORECASE,
)
STYLE_AFTER = re.compile(r"^(?:['’]s)?[\s-]*(?:style|esque|inspired|ian)\b", re.IGNORECASE)


# -- reading prompts with the lexicons ---------------------------------------------------


def _plural(noun: str) -> str:
    if noun in ("child",):
        return "children"
    if noun.endswith("man"):
        return noun[:-3] + "men"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


SINGULAR: dict[str, str] = {n: n for n in PEOPLE + ANIMALS + VEHICLES}
PLURAL: dict[str, str] = {_plural(n): n for n in SINGULAR} | PEOPLE_PLURAL_IRREGULAR
PEOPLE_SET = set(PEOPLE)
VEHICLE_SET = set(VEHICLES)
PROP_BEFORE = re.compile(
    r"\b(?:parked|abandoned|stationary|empty|on|in|inside|behind|past|onto|into|from|off|of|"
    r"by|near|under|beside|against)\b(?:\s+\w+){0,2}$"
)
ANIMATE = set(PEOPLE) | set(ANIMALS)
FIXED_COUNTS = {"couple": 2, "pair": 2, "twins": 2, "duo": 2, "trio": 3, "quartet": 4}
WORD = re.compile(r"[a-z]+|\d+")


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


def count_subjects(text: str) -> int:
    """How many subjects a phrase asks the model to keep track of (heuristic).

    Singular people, animals and vehicles count once per noun; plural people count as
    many unless a number says otherwise; plural animals and vehicles are scenery (a flock,
    passing traffic) unless counted or opening the prompt; anything in a clause that puts
    it in the background ("a crowd in the background") is left out.
    """
    total = 0
    singles: set[str] = set()
    first = True
    for clause in _CLAUSE.split(text.lower()):
        tokens = WORD.findall(clause)
        if not tokens:
            continue
        if BACKGROUND.search(clause):
            first = False
            continue
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            opening = first and i < 4  # the grammatical subject of the prompt
            if tok in FIXED_COUNTS and nxt != "of":
                total += FIXED_COUNTS[tok]
            elif tok in GROUP_WORDS or (tok in ANIMAL_GROUPS and opening):
                total += 3
            elif tok in PLURAL:
                if i and tokens[i - 1] in SINGULAR:
                    continue  # "a chef cooks": a verb after its subject, not more cooks
                noun = PLURAL[tok]
                n = _count_before(tokens, i)
                many = noun in PEOPLE_SET or opening
                total += n if n is not None else (3 if many else 0)
            elif tok in SINGULAR and tok not in singles:
                if tok in VEHICLE_SET and PROP_BEFORE.search(" ".join(tokens[max(0, i - 3) : i])):
                    continue  # "on a bike", "behind a parked car": a prop or the set
                singles.add(tok)
                total += 1
        first = False
    return total


def acts(text: str) -> bool:
    """A subject followed by an action verb: "a boy practices", "vendors grilling"."""
    tokens = WORD.findall(text)
    for i, tok in enumerate(tokens[:-1]):
        single = tok in ANIMATE or tok in GROUP_WORDS or tok in FIXED_COUNTS
        plural = tok in PLURAL and PLURAL[tok] in ANIMATE
        if not (single or plural):
            continue
        j = i + 2 if tokens[i + 1].endswith("ly") and i + 2 < len(tokens) else i + 1
        nxt = tokens[j]
        if nxt in STATIVE or nxt in FUNCTION_WORDS or len(nxt) < 3:
            continue
        if nxt.endswith("ing") or (single and nxt.endswith("s") and not nxt.endswith("ss")):
            return True
        if plural and not nxt.endswith(("s", "ed")):
            return True
    return False


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
