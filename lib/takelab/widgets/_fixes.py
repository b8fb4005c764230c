"""Applying a lint finding's fix to a draft variant, where a machine can do it.

A finding carries its fix as field rewrites (`Finding.edits`, made by takelab.lint.fixes
from the prompt's own words); they are applied when the draft still says what was linted.
Otherwise the rules below turn the fix text into an edit: fill the missing field (or add
a sentence to free text) with the fix's quoted words, set a duration, or replace the
quoted phrase. Fixes that need judgement (split a shot, drop a subject) return None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from takelab.lint.rules import Finding
from takelab.project.model import STRUCTURED_FIELDS
from takelab.sweep.plan import DEFAULT_DURATION_S

FIELD_OF = {"no-motion": "action", "no-camera": "camera", "no-lighting": "lighting"}
REPLACEMENT = {
    "legible-text": "a blank sign",
    "public-figure": "a silver-haired man in a navy suit",
    "violence": "",
    "explicit": "",
}
_EXAMPLE = re.compile(r'(?:e\.g\.,?|add to [^:]+:) "([^"]+)"')
_PHRASE = re.compile(r'\("(.*?)"\)[:,]')
TEXT_FIELDS = ("prompt", *STRUCTURED_FIELDS)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _append(text: str, addition: str) -> str:
    addition = addition[0].upper() + addition[1:]
    return f"{_sentence(text)} {_sentence(addition)}".strip()


def phrase_of(finding: Finding) -> str | None:
    """The words of the prompt a finding quotes, if it quotes any."""
    m = _PHRASE.search(finding.message)
    return m.group(1) if m else None


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _apply_edits(draft: Mapping[str, str], finding: Finding) -> dict[str, str] | None:
    """The finding's own rewrites, if the draft still holds the text they were made from."""
    out = dict(draft)
    for edit in finding.edits:
        if edit.field == "negative":
            current = (out.get("negative") or "").strip()
            out["negative"] = ", ".join(x for x in (current, edit.new) if x)
        elif edit.field == "duration":
            out["duration"] = edit.new
        elif edit.field in TEXT_FIELDS and _same(out.get(edit.field) or "", edit.old):
            out[edit.field] = edit.new
        else:
            return None
    return out


def _replace(draft: dict[str, str], phrase: str, new: str | None) -> bool:
    pattern = re.compile(r"\s+".join(re.escape(w) for w in phrase.split()), re.IGNORECASE)
    changed = False
    for name in TEXT_FIELDS:
        value = draft.get(name) or ""
        m = pattern.search(value)
        if m is None:
            continue
        repl = m.group(0) + " in slow motion" if new is None else new
        value = (value[: m.start()] + repl + value[m.end() :]).strip()
        draft[name] = re.sub(r"\s+([,.;:])", r"\1", re.sub(r"[ \t]{2,}", " ", value))
        changed = True
    return changed


def apply_fix(
    draft: Mapping[str, str], finding: Finding, *, structured: bool
) -> dict[str, str] | None:
    """The draft (field -> text) with the finding's fix applied, or None if a person has
    to make this change."""
    if finding.edits and (edited := _apply_edits(draft, finding)) is not None:
        return edited if edited != dict(draft) else None
    out = dict(draft)
    rule = finding.rule
    if rule in FIELD_OF:
        m = _EXAMPLE.search(finding.fix)
        if m is None:
            return None
        if structured:
            name = FIELD_OF[rule]
            current = out.get(name, "").strip()
            out[name] = f"{current}, {m.group(1)}" if current else m.group(1)
        else:
            out["prompt"] = _append(out.get("prompt", ""), m.group(1))
    elif rule == "no-duration":
        out["duration"] = f"{DEFAULT_DURATION_S:g}"
    elif rule == "too-long":
        m = re.search(r"set duration to ([\d.]+) s", finding.fix)
        if m is None:
            return None
        out["duration"] = m.group(1)
    elif rule in REPLACEMENT or rule == "fast-motion":
        phrase = phrase_of(finding)
        if not phrase or not _replace(out, phrase, REPLACEMENT.get(rule)):
            return None
    else:
        return None
    return out if out != dict(draft) else None


__all__ = ["apply_fix", "phrase_of"]
