"""Content providers refuse: graphic violence and sexual content."""

from __future__ import annotations

import re

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
