"""Fixes for lint findings that rewrite the prompt's own words.

Each fix is a short instruction for people (`fix`) and, where a machine can make the
change, a list of field rewrites (`Edit`: the field, its old text, its new text) that a
tool applies with `apply_edits`. The rewrite works on the words that made the rule fire:
the quoted sign becomes a blank one, "sprints" gets "in slow motion", the words after a
cut become the next shot, "no other cars" moves to `negative`, a missing camera, light or
motion is written about the prompt's own subject. A rewrite is kept only if the rule no
longer fires on it; otherwise the fix is advice alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from takelab.lint import grammar as gram
from takelab.lint import lexicon as lex
from takelab.lint import speech, subjects, wording
from takelab.lint.camera import camera_moves
from takelab.lint.checks import Hit, Prompt, check

FIELD_OF = {"no-motion": "action", "no-camera": "camera", "no-lighting": "lighting"}


class Edit(BaseModel):
    """Set `field` (prompt, a structured field, negative or duration) from `old` to `new`."""

    field: str
    old: str
    new: str


def _span(text: str, phrase: str) -> re.Match[str] | None:
    """Where `phrase` is in `text`, ignoring case and runs of white space."""
    if not phrase:
        return None
    words = phrase.split()
    return re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text))
    text = re.sub(r"([,;:])\s*([,.;:])", r"\2", text)
    text = re.sub(r"^\s*[,;:.]\s*", "", text.strip())
    # the article agrees with the word that now follows it ("an erotic scene" -> "a scene")
    text = re.sub(r"\b([Aa])n\s+(?=[b-df-hj-np-tv-z])", r"\1 ", text)
    text = re.sub(r"\b([Aa])\s+(?=[aeiou])", r"\1n ", text)
    return text[:1].upper() + text[1:] if text else text


def _sound(text: str) -> str | None:
    """The text, or None when a deletion left it opening with a bare verb or preposition."""
    first = gram.tokenize(text)[:1]
    if not first:
        return None
    word = first[0].text
    r = gram.readings(word)
    broken = word in gram.PREPOSITIONS or (
        r and "NOUN" not in r and "ADJ" not in r and "DET" not in r
    )
    return None if broken or word.startswith("-") else text


def _replace(text: str, phrase: str, new: str) -> str | None:
    m = _span(text, phrase)
    if m is None:
        return None
    return _tidy(text[: m.start()] + new + text[m.end() :])


def subject_of(text: str) -> str:
    """The prompt's subject as a noun phrase with "the": "a green bicycle" -> "the green
    bicycle"; the first clause that does not open with a preposition, cut at its verb."""
    for clause in re.split(r"[,.;:!?]", text):
        tokens = gram.tokenize(clause)
        if not tokens or tokens[0].text in gram.PREPOSITIONS:
            continue
        words: list[str] = []
        for i, tok in enumerate(tokens):
            if i and (tok.text in gram.PREPOSITIONS or tok.text in ("is", "are", "and", "who")):
                break
            if i and gram.verb_use(tokens, i):
                break
            words.append(clause[tok.start : tok.end])
        if words and words[0].lower() in ("a", "an", "the", "this", "some"):
            words = words[1:]
        if words and words[0][:1].isupper() and words[0].lower() not in subjects.KNOWN:
            return " ".join(words[:5])  # a name: "Gwen Stacy"
        if words:
            return "the " + " ".join(words[:5])
    return "the subject"


def _animate(subject: str) -> bool:
    return any(subjects.animate(w) for w in subject.lower().split())


_INDOOR = re.compile(
    r"\b(?:room|kitchen|cafe|café|studio|office|bar|restaurant|classroom|shop|store|museum|"
    r"gallery|indoor|inside|interior|bedroom|hall|library|lab|laboratory|gym|gymnasium|"
    r"pharmacy|table|counter|desk|sofa|couch)\b",
    re.IGNORECASE,
)


def _absent(rule: str, p: Prompt) -> str:
    """Words for a missing motion, camera or light, written about the prompt's subject."""
    subject = subject_of(p.fields.get("subject", "") or p.text)
    if rule == "no-motion":
        if _animate(subject):
            return f"{subject} slowly turns to look around"
        return f"light slowly shifts across {subject}"
    if rule == "no-camera":
        return f"slow push in on {subject}"
    indoor = _INDOOR.search(p.text)
    return f"{'soft window light' if indoor else 'warm late-afternoon sunlight'} on {subject}"


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause (between , ; . and "while"/"then") around text[start:end]."""
    left = max(text.rfind(c, 0, start) for c in ",;.")
    right_candidates = [i for c in ",;." if (i := text.find(c, end)) != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return left + 1, right


def _rewrite(rule: str, p: Prompt, hit: Hit, evidence: str, text: str) -> str | None:
    """The new text of one field for rule `rule`, or None when a person must decide."""
    if rule in FIELD_OF:
        words = _absent(rule, p)
        return f"{text.rstrip().rstrip('.')}, {words}." if text.strip() else words
    if rule == "fast-motion":
        m = _span(text, evidence)
        if m is None:
            return None
        _, end = _clause_bounds(text, m.start(), m.end())
        return _tidy(text[:end].rstrip() + " in slow motion" + text[end:])
    if rule == "legible-text":
        parts = re.split(
            r"\b(?:that|which|with|reads?|reading|says|saying|spells?|spelling|displays|bears|"
            r"shows|written|painted|printed)\b|[\"“”]",
            evidence.replace('"', ' " ').strip(),
        )
        carrier = next(
            (h.strip() for h in parts if re.search(rf"\b(?:{wording.TEXT_NOUN})\b", h, re.I)), ""
        )
        if carrier:
            return _replace(text, evidence, f"blank {carrier.lower()}")
        if evidence[:1] in "\"“'":
            return _replace(text, evidence, "blank lettering")
        new = _replace(text, evidence, "")
        return _sound(new) if new else None
    if rule == "public-figure":
        out: str | None = text
        for _ in range(6):  # every name, not only the first
            found = check("public-figure", Prompt(out or ""))
            if found is None or out is None:
                break
            m = _span(out, found.evidence)
            out = None if m is None else out[: m.start()] + "a person" + out[m.end() :]
        return None if out is None else _tidy(out)
    if rule in ("violence", "explicit"):
        m = _span(text, evidence)
        if m is None:
            return None
        a, b = _clause_bounds(text, m.start(), m.end())
        after = gram.tokenize(text[m.end() :])[:1]
        if text[a : m.start()].strip() == "" and text[m.end() : b].strip() == "":
            return _sound(_tidy(text[:a] + text[b:]))  # the whole clause goes
        if len(evidence.split()) == 1 and after and "NOUN" in gram.readings(after[0].text):
            return _sound(_tidy(text[: m.start()] + text[m.end() :]))  # "a nude woman"
        return None  # a person rewrites this one
    if rule == "occlusion":
        if "behind" in evidence.lower():
            new_phrase = re.sub(
                r"(?:out\s+)?(?:from\s+)?behind", "in front of", evidence, flags=re.I
            )
            return _replace(text, evidence, new_phrase)
        return _drop_sentence(text, evidence)
    if rule == "hard-cut":
        m = _span(text, evidence)
        if m is None:
            return None
        cut = max(text.rfind(c, 0, m.start()) for c in ".;\n")
        head = text[: cut + 1].strip() if cut >= 0 else ""
        return head or None
    if rule == "negative-phrasing":
        m = _span(text, evidence)
        if m is None:
            return None
        start = m.start()
        lead = re.search(r"(?:\b(?:with|there is|there are)\s+)$", text[:start], re.IGNORECASE)
        if lead:
            start = lead.start()
        return _tidy(text[:start] + text[m.end() :])
    if rule == "camera-conflict":
        low = text.lower()
        kinds = [kind for kind, _ in camera_moves(low)]
        keep = kinds[0] if kinds else ""
        out = text
        for kind, phrase in reversed(camera_moves(low)):
            if kind == keep:
                continue
            m = _span(out, phrase)
            if m is None:
                return None
            a, b = _clause_bounds(out, m.start(), m.end())
            kept = [p for k, p in camera_moves(out[a:b].lower()) if k == keep]
            if kept:  # the kept move shares the clause: drop only this phrase and its lead-in
                lead = re.search(
                    r"(?:\b(?:while|and|then|before|as|with|a|an|the|slow|slowly|gentle|quick|"
                    r"smooth|rapid)\s+)+$",
                    out[: m.start()],
                    re.IGNORECASE,
                )
                a, b = (lead.start() if lead else m.start()), m.end()
            out = out[:a] + out[b:]
        return _tidy(out)
    if rule == "crowded":
        out = re.sub(
            r"\b(?:three|four|five|six|seven|eight|nine|ten|twelve|several|many|dozens of|"
            r"hundreds of|a (?:group|crowd|team|family|pack|herd) of|\d+)\s+(?=[a-z])",
            "two ",
            text,
            flags=re.IGNORECASE,
        )
        return _tidy(out) if out != text else None
    return None


def _drop_sentence(text: str, phrase: str) -> str | None:
    m = _span(text, phrase)
    if m is None:
        return None
    a = max(text.rfind(c, 0, m.start()) for c in ".!?")
    ends = [i for c in ".!?" if (i := text.find(c, m.end())) != -1]
    b = min(ends) + 1 if ends else len(text)
    out = _tidy(text[: a + 1] + text[b:])
    return out if len(out.split()) >= 3 else None


def _dialogue_fix(p: Prompt, text: str) -> str | None:
    """Keep the spoken lines that fit the duration; drop the later ones and their labels."""
    seconds = p.duration_s or max(lex.durations_in(p.text.lower()), default=5.0)
    lines = speech.spoken_lines(text)
    keep = len(lines)
    while keep > 1 and speech.over_budget(lines[:keep], seconds):
        keep -= 1
    if speech.over_budget(lines[:keep], seconds):
        return None
    out = text
    for line in reversed(lines[keep:]):
        m = re.search(
            r"(?:\s*[-•]?\s*[A-Za-z][\w -]{0,24}(?:\s*\([^)]*\))?\s*:\s*|\s*(?:and|then)\s*)?"
            + r"[\"“”]"
            + re.escape(line)
            + r"[\"“”]",
            out,
        )
        if m is None:
            return None
        out = out[: m.start()] + out[m.end() :]
    return _tidy(out)


def _field_for(rule: str, p: Prompt, evidence: str) -> str:
    if not p.fields:
        return "prompt"
    if rule in FIELD_OF:
        return FIELD_OF[rule]
    for name, value in p.fields.items():
        if _span(value, evidence):
            return name
    return ""


def _still_fires(rule: str, p: Prompt, field: str, new: str) -> bool:
    if field == "prompt":
        q = Prompt(new, {}, p.duration_s, p.dialogue)
    else:
        q = Prompt(p.text, {**p.fields, field: new}, p.duration_s, p.dialogue)
    if rule == "dialogue-budget":
        seconds = p.duration_s or max(lex.durations_in(q.text.lower()), default=5.0)
        return speech.over_budget(speech.spoken_lines(q.text), seconds) is not None
    return check(rule, q) is not None


def _advice(rule: str, evidence: str, values: Mapping[str, str]) -> str | None:
    """The advice of data/rules.toml for a finding no rewrite was made for."""
    template = lex.rule_texts()[rule].get("advice")
    if template is None:
        return None
    return template.format(
        **{"evidence": evidence, "thing": evidence, "first": evidence, "best": "", **values}
    )


def fix_for(rule: str, p: Prompt, hit: Hit, evidence: str) -> tuple[str, list[Edit]]:
    """The fix text and the edits (possibly none) for one finding."""
    if rule == "no-duration":
        return _advice(rule, evidence, hit.values) or "", [Edit(field="duration", old="", new="5")]
    if rule == "too-long":
        best = hit.values.get("best", "")
        advice = _advice(rule, evidence, hit.values) or ""
        return advice, [Edit(field="duration", old=evidence, new=best)]
    field = _field_for(rule, p, evidence)
    old = p.text if field == "prompt" else p.fields.get(field, "")
    new = (
        _dialogue_fix(p, old)
        if rule == "dialogue-budget"
        else _rewrite(rule, p, hit, evidence, old)
        if field
        else None
    )
    edits: list[Edit] = []
    if new is not None and new != old and not _still_fires(rule, p, field, new):
        edits.append(Edit(field=field, old=old, new=new))
        if rule == "negative-phrasing":
            edits.append(Edit(field="negative", old="", new=hit.values.get("thing", "")))
    if edits and edits[0].field in ("prompt", *p.fields):
        text = _describe(rule, edits[0], evidence)
    else:
        text = _advice(rule, evidence, hit.values) or _absent(rule, p)
    return text, edits


def _describe(rule: str, edit: Edit, evidence: str) -> str:
    """One line saying what the rewrite changes."""
    target = "the prompt" if edit.field == "prompt" else f"`{edit.field}`"
    if rule in FIELD_OF:
        added = edit.new[len(edit.old.rstrip().rstrip(".")) :].lstrip(", ").rstrip(".")
        return f'add to {target}: "{added}"'
    if rule == "hard-cut":
        return f'end the shot before "{evidence}" (make the rest a second shot): "{edit.new}"'
    if rule == "negative-phrasing":
        return f'drop "{evidence}" from {target} and put what it excludes in `negative`'
    return f'rewrite {target}: "{edit.new}"'


def apply_edits(draft: Mapping[str, str], edits: Sequence[Edit]) -> dict[str, str]:
    """The draft (field -> text) with the edits applied; `negative` edits are appended."""
    out = dict(draft)
    for edit in edits:
        if edit.field == "negative":
            current = (out.get("negative") or "").strip()
            parts = [x for x in (current, edit.new) if x]
            out["negative"] = ", ".join(parts)
        else:
            out[edit.field] = edit.new
    return out


__all__ = ["Edit", "apply_edits", "fix_for", "subject_of"]
