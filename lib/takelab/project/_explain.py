"""Turn a model's ValidationError on a project file into one PromptFileError: the first
problem in the file, at its line and column (from ruamel's position data, `.lc`), named
by where it sits ("shot 'street', variant 'v2': duration") with what to write instead.

The models' own rules (`_fields.fail`) carry their message and hint; pydantic's few
built-in errors (a missing key, an unknown key, a list where a mapping belongs) get
theirs here.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from takelab.errors import PromptFileError
from takelab.project._fields import EXAMPLE, SLUG, VARIANT_KEYS, kind, short

Loc = tuple[str | int, ...]

# How an item of a list reads, by the list's key ("variant 'v1'", "overlay #2").
ITEM_NAMES = {"shots": "shot", "variants": "variant", "overlays": "overlay"}
# Sections of the cut that read better as words.
CUT_NAMES = {"title": "the title card", "end": "the end card"}
TOP_NAMES = {"project": "project name"}
SHAPES = {
    "Shot": "write a shot as '- id: <slug>' followed by an indented `variants:` list",
    "Variant": "write a variant as '- id: v1' followed by an indented `prompt: ...`",
    "VariantSettings": "indent settings under it, e.g. `defaults:` then `  duration: 8`",
    "DialogueLine": 'write it as - {speaker: Mia, line: "We\'re late.", at: 2}',
    "Beat": "write it as - {at: 0, action: the door opens, camera: slow push in}",
    "Reference": "write it as - {image: refs/hero.png, role: character}",
    "Cut": "indent its fields under `cut:`, e.g. `cut:` then `  shots: [intro, street]`",
    "CutShot": "write `- shot: <id>` with optional take:, in:, out:, transition:, overlays:",
    "Overlay": "write `- text: Tokyo, 2 a.m.` with optional position:, start:, end:, style:",
    "TextStyle": 'write e.g. style: {size: 48, color: "#ffcc00"}',
    "Card": 'write e.g. title: {text: "Tokyo Rain", duration: 2, background: black}',
    "AudioBed": "write e.g. audio: {file: music/bed.wav, fade_in: 1, fade_out: 2, level: -6}",
    "Grade": "write grade: {lut: looks/film.cube} or grade: {lift: 0.02, gamma: 1.1, gain: 0.95}",
    "Disclosure": 'write e.g. disclosure: {text: "Contains AI-generated footage", burn_in: true}',
    "Credentials": "write credentials: {cert: certs/chain.pem, key: certs/key.pem}, or set "
    "TAKELAB_C2PA_CERT and TAKELAB_C2PA_KEY instead",
}
LISTS = {
    "shots": "start each shot with '- id: <slug>' on its own line under `shots:`",
    "variants": "start each variant with '- id: <slug>' on its own line under `variants:`",
}
WHAT = {"project": " (the project's name)", "shots": " (the list of shots)"}
MISSING = {
    "project": "add a line `project: <slug>` at the top, e.g. project: tokyo-rain",
    "shots": "add `shots:` with at least one shot (`- id: ...` and `variants:`); " + EXAMPLE,
    "variants": "add `variants:` with at least one `- id: v1` and a prompt: or subject:",
    "shot": "add `shot: <id>` naming one of the shots of this file",
}


class Pos(NamedTuple):
    line: int
    column: int | None = None


def _lc(read: Callable[[], Any], fallback: Pos) -> Pos:
    """A position ruamel recorded (0-based) as 1-based, or `fallback` where it has none
    (keys brought in by a `<<:` merge have no position of their own)."""
    try:
        line, col = read()
        return Pos(int(line) + 1, int(col) + 1)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return fallback


def node_pos(node: Any) -> Pos:
    return _lc(lambda: (node.lc.line, node.lc.col), Pos(1))


def key_pos(mapping: Any, key: Any) -> Pos:
    return _lc(lambda: mapping.lc.key(key), node_pos(mapping))


def value_pos(mapping: Any, key: Any) -> Pos:
    # an empty value's recorded position is wherever the next token starts, and a block
    # list or mapping starts on the next line: point at the key the user wrote
    if mapping.get(key) is None or isinstance(mapping[key], CommentedMap | CommentedSeq):
        return key_pos(mapping, key)
    return _lc(lambda: mapping.lc.value(key), key_pos(mapping, key))


def item_pos(seq: Any, index: int) -> Pos:
    return _lc(lambda: seq.lc.item(index), node_pos(seq))


def _step(node: Any, part: str | int) -> tuple[Any, bool]:
    """The child at `part`, and whether there is one."""
    if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
        return node[part], True
    if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
        return node[part], True
    return None, False


def position(doc: Any, loc: Loc, *, key: bool = False) -> Pos:
    """Where `loc` is written: its value (or its key), else the nearest node above it."""
    pos, node = node_pos(doc), doc
    for index, part in enumerate(loc):
        child, found = _step(node, part)
        if not found:
            break
        last = index == len(loc) - 1
        if isinstance(part, int):
            pos = item_pos(node, part)
        else:
            pos = key_pos(node, part) if key and last else value_pos(node, part)
        node = child
    return pos


def _item_name(path: Loc, index: int, item: Any) -> str:
    """'shot 'street'' or 'shot #2', 'variant 'v1'', 'overlay #1', 'dialogue #3'."""
    where = str(path[-1]) if path else "item"
    number = f"#{index + 1}"
    if where == "shots" and path[:1] == ("cut",):
        shot = item if isinstance(item, str) else getattr(item, "get", lambda _: None)("shot")
        return f"shot {shot.strip()!r}" if isinstance(shot, str) else f"shot entry {number}"
    if where in ("shots", "variants"):
        name = item.get("id") if isinstance(item, CommentedMap) else None
        shown = repr(name.strip()) if isinstance(name, str) and SLUG.match(name.strip()) else number
        return f"{ITEM_NAMES[where]} {shown}"
    return f"{ITEM_NAMES.get(where, where)} {number}"


def names(doc: Any, loc: Loc) -> list[str]:
    """How each step of `loc` reads; a list item replaces the list's own name."""
    out: list[str] = []
    node = doc
    for index, part in enumerate(loc):
        child, _ = _step(node, part)
        if isinstance(part, int):
            out[-1:] = [_item_name(loc[:index], part, child)]
        else:
            in_cut = loc[:1] == ("cut",) and index == 1
            out.append(CUT_NAMES.get(part, part) if in_cut else TOP_NAMES.get(part, part))
        node = child
    return out


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = {f.alias or n: f for n, f in current.model_fields.items()}
        current = _inner_model(fields[part].annotation) if part in fields else None
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _keys(model: type[BaseModel] | None) -> list[str]:
    keys = [f.alias or n for n, f in model.model_fields.items()] if model else []
    return sorted(keys, key=VARIANT_KEYS.index) if "prompt" in keys else keys


def _unknown_key_hint(key: Any, model: type[BaseModel], loc: Loc) -> str:
    allowed = _keys(_model_at(model, loc))
    name = key.strip() if isinstance(key, str) else ""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6) if name else []
    if close:
        return f"did you mean {close[0]!r}?"
    variant = _keys(_model_at(model, ("shots", 0, "variants", 0)))
    if name in variant and len(loc) == 2 and loc[0] == "shots":
        return f"{name} belongs to a variant: put it under `variants:` in a `- id: v1` entry"
    if name in variant and loc == ():
        return f"set {name} under `defaults:` or in a variant"
    if name in variant and loc == ("defaults",):
        return f"defaults can set {', '.join(allowed)}; set {name} in each variant instead"
    return f"allowed here: {', '.join(allowed)}"


def _fill(template: str, words: dict[str, str]) -> str:
    for name, value in words.items():
        template = template.replace("{" + name + "}", value)
    return template


def _problem(error: Any, doc: Any, model: type[BaseModel]) -> tuple[Pos, Pos, str, str]:
    """One error as (where it ranks, position, message, hint). An unknown key ranks at its
    mapping's start: a mapping's keys are read before what they hold."""
    context = error.get("ctx") or {}
    loc: Loc = (*error["loc"], *context.get("at", ()))
    kind_ = error["type"]
    if kind_ == "invalid_key":  # a key that is not text: loc ends with its repr
        loc, key = loc[:-1], error["input"]
    else:
        key = loc[-1] if loc else None
    words = names(doc, loc)
    in_cut = words[:1] == ["cut"] and len(words) > 1
    if in_cut:
        words = words[1:]
    owner = ", ".join(words[:-1])
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    subject = (
        ", ".join(words)
        if loc and isinstance(loc[-1], int)
        else (f"{owner}: {words[-1]}" if owner else (words[-1] if words else "the file"))
    )
    fill = {
        "subject": subject,
        "owner": owner,
        "owner_": f"{owner}: " if owner else "",
        "field": field,
    }
    if "first" in context:
        fill["first_line"] = str(position(doc, (*error["loc"], *context["first"]))[0])
    pos = position(doc, loc, key=bool(context.get("key")))
    if kind_ == "takelab":
        message, hint = error["msg"], context["hint"]
    elif kind_ in ("extra_forbidden", "invalid_key"):
        parent = loc[:-1] if kind_ == "extra_forbidden" else loc
        shown = repr(key) if isinstance(key, str) else f"{kind(key)} (as a key)"
        place = ", ".join(words[:-1] if kind_ == "extra_forbidden" else words)
        where = f"in {place}" if place else ("in cut" if in_cut else "at the top level")
        message, hint = f"unknown key {shown} {where}", _unknown_key_hint(key, model, parent)
        node, _ = _walk(doc, parent)
        pos = key_pos(node, key) if isinstance(node, CommentedMap) and key in node else pos
    elif kind_ == "missing":
        what = WHAT.get(field, "")
        message = f"{owner} has no `{field}:`" if owner else f"missing `{field}:`{what}"
        hint = MISSING.get(field, f"add `{field}: ...`")
        if field == "id" and len(loc) >= 2 and isinstance(loc[-2], int):
            what, eg = ("variant", "v") if "variants" in loc else ("shot", "shot-")
            hint = f"add `id: <slug>` as the {what}'s first line, e.g. id: {eg}{loc[-2] + 1}"
    elif kind_ in ("model_type", "model_attributes_type", "dict_type"):
        message = f"{{subject}} must be a mapping, got {kind(error['input'])}"
        hint = SHAPES.get(context.get("class_name", ""), EXAMPLE)
    elif kind_ in ("list_type", "tuple_type"):
        message = f"{{subject}} must be a list, got {kind(error['input'])}"
        hint = LISTS.get(field, f"write one `- ` entry per item under `{field}:`")
    elif kind_ == "literal_error":  # every Literal field of the file is optional
        message = f"{{owner_}}unknown {{field}} {short(str(error['input']))}"
        hint = f"use one of {context['expected'].replace(chr(39), '')}, or leave {{field}}: out"
    else:
        message, hint = f"{{subject}}: {error['msg']}", EXAMPLE
    message = _fill(message, fill)
    rank = position(doc, loc[:-1]) if kind_ == "extra_forbidden" else pos
    return rank, pos, ("cut: " + message if in_cut else message), _fill(hint, fill)


def _walk(doc: Any, loc: Loc) -> tuple[Any, bool]:
    node = doc
    for part in loc:
        node, found = _step(node, part)
        if not found:
            return None, False
    return node, True


def explain(exc: ValidationError, doc: Any, path: Path, model: type[BaseModel]) -> PromptFileError:
    """The earliest problem in the file as one PromptFileError."""
    errors = exc.errors(include_url=False)
    # as the file reads: an unknown key (a typo) explains a missing one in its mapping
    typos = {e["loc"][:-1] for e in errors if e["type"] == "extra_forbidden"}
    errors = [e for e in errors if not (e["type"] == "missing" and e["loc"][:-1] in typos)]
    problems = [_problem(e, doc, model) for e in errors]
    _, pos, message, hint = min(problems, key=lambda p: (p[0].line, p[0].column or 0))
    return PromptFileError(path, message, line=pos.line, column=pos.column, hint=hint)


__all__ = ["explain", "item_pos", "key_pos", "kind", "node_pos", "position", "value_pos"]
