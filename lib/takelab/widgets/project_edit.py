"""Edits to a project file from the widgets: update, add or duplicate a variant.

The file is a document people write by hand, so an edit changes only the variant it is
about: that variant is re-emitted with round-trip YAML (its comments kept) and spliced
into the original text, and every other byte stays as it was. If splicing cannot be
trusted (flow-style YAML, an unusual layout) the whole document is re-emitted with
round-trip YAML instead, which still keeps comments and order. Nothing is written
unless the result loads as a valid project file.

When the file is in a git repository the edit is committed on its own
(`studio: add variant shot/v3`), so the takes made from it record that commit.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, ScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from takelab.errors import ProjectEditError as ProjectEditError  # defined with every error
from takelab.project.load import VARIANT_KEYS
from takelab.project.model import project_from_text
from takelab.widgets._yaml_splice import splice_variant

WIDTH = 100  # the examples' line length: round-tripping them at this width changes nothing
FOLD_AT = 84  # long prompts are written as folded (>) blocks of about this width


@dataclass(frozen=True)
class Edit:
    """What an edit did: the file, the variant it touched and the commit that holds it."""

    path: Path
    shot: str
    variant: str
    action: str  # "update", "add" or "duplicate"
    commit: str | None = None  # None: not in git, committing switched off, or nothing changed

    @property
    def name(self) -> str:
        return f"{self.shot}/{self.variant}"


# -- reading -------------------------------------------------------------------------------


def _yaml(text: str) -> YAML:
    """A round-trip YAML configured with the file's own indentation."""
    _, indent, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    seq = indent or 4
    off = offset if offset is not None else 2
    yaml.indent(mapping=max(2, seq - off), sequence=seq, offset=off)
    return yaml


def _variants(doc: Any, shot_id: str) -> tuple[int, CommentedSeq]:
    shots = doc.get("shots") if isinstance(doc, CommentedMap) else None
    for i, shot in enumerate(shots or []):
        if isinstance(shot, CommentedMap) and shot.get("id") == shot_id:
            variants = shot.get("variants")
            if isinstance(variants, CommentedSeq):
                return i, variants
    raise ProjectEditError(f"no shot {shot_id!r} with a list of variants in the file")


def _index(variants: CommentedSeq, variant_id: str) -> int:
    for j, v in enumerate(variants):
        if isinstance(v, CommentedMap) and v.get("id") == variant_id:
            return j
    raise ProjectEditError(f"no variant {variant_id!r} in this shot")


def next_variant_id(ids: Iterable[str]) -> str:
    """The next free id in the `v1, v2, ...` series."""
    taken = set(ids)
    numbers = [int(m.group(1)) for i in taken if (m := re.fullmatch(r"v(\d+)", i))]
    n = max(numbers, default=0) + 1
    while f"v{n}" in taken:
        n += 1
    return f"v{n}"


# -- values ----------------------------------------------------------------------------------


def _fold(text: str, keep_newline: bool) -> str:
    """A folded block scalar that wraps at spaces near FOLD_AT, so the file stays readable."""
    text = " ".join(text.split())
    out: str = FoldedScalarString(text + ("\n" if keep_newline else ""))
    positions: list[int] = []
    line_start = 0
    last_space = -1
    for i, ch in enumerate(text):
        if ch == " " and i + 1 < len(text) and text[i + 1] != " ":
            if i - line_start > FOLD_AT and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = i
    if len(text) - line_start > FOLD_AT and last_space > line_start:
        positions.append(last_space)
    setattr(out, "fold_pos", positions)  # noqa: B010 - ruamel reads it when dumping
    return out


def _value(key: str, value: Any, old: Any = None) -> Any:
    if key == "duration":
        number = float(value)
        return int(number) if number.is_integer() else number
    if key == "allow":
        seq = CommentedSeq(list(value))
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, str):
        same = old is not None and " ".join(str(old).split()) == " ".join(value.split())
        if same and (isinstance(old, ScalarString) or not _too_long(key, str(old))):
            return old  # unchanged text keeps its layout
        if _too_long(key, value):
            # ruamel wraps long plain scalars with a trailing space on each line; a folded
            # block reads better and diffs cleanly
            return _fold(value, keep_newline=str(old or "").endswith("\n"))
    return value


def _too_long(key: str, value: str) -> bool:
    return "\n" in value.strip() or len(key) + len(value) + 10 > WIDTH


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)


def _apply(variant: CommentedMap, fields: Mapping[str, Any]) -> None:
    """Patch a variant map in place: set keys (new ones in canonical order), drop empty ones."""
    last = next(reversed(variant), None) if len(variant) else None
    for key, value in fields.items():
        if key == "id" or key not in VARIANT_KEYS:
            if key != "id":
                raise ProjectEditError(f"{key!r} is not a variant field")
            continue
        if _empty(value):
            variant.pop(key, None)
            continue
        new = _value(key, value, variant.get(key))
        if key in variant:
            # Assigning would keep the old scalar's style (ruamel does that on purpose);
            # re-inserting takes the new value's style and keeps the key's comment.
            pos = list(variant).index(key)
            comment = variant.ca.items.get(key)
            del variant[key]
            variant.insert(pos, key, new)
            if comment is not None:
                variant.ca.items[key] = comment
            continue
        rank = VARIANT_KEYS.index(key)
        pos = sum(1 for k in variant if k in VARIANT_KEYS and VARIANT_KEYS.index(k) < rank)
        variant.insert(pos, key, new)
    _move_trailing_comment(variant, last)


def _move_trailing_comment(variant: CommentedMap, old_last: Any) -> None:
    """Blank lines and comments after a mapping belong to its last key in ruamel's model;
    when a key is added after it, they move along so they still end the variant."""
    if old_last is None or old_last not in variant or not len(variant):
        return
    new_last = next(reversed(variant))
    item = variant.ca.items.get(old_last)
    token = item[2] if item and len(item) > 2 else None
    if new_last == old_last or token is None:
        return
    head, sep, tail = str(token.value).partition("\n")
    if not sep or not tail:
        return
    token.value = head + sep
    moved = copy.copy(token)
    moved.value = "\n" + tail
    variant.ca.items[new_last] = [None, None, moved, None]


def _new_variant(variant_id: str, fields: Mapping[str, Any]) -> CommentedMap:
    out = CommentedMap()
    out["id"] = variant_id
    _apply(out, {k: fields[k] for k in VARIANT_KEYS if k in fields})
    return out


def _write(path: Path, text: str) -> None:
    project_from_text(text, path)  # raises PromptFileError: a broken file is never written
    tmp = path.with_name(f".{path.name}.studio-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _load(path: Path) -> tuple[str, YAML, CommentedMap]:
    text = path.read_text(encoding="utf-8")
    yaml = _yaml(text)
    doc = yaml.load(text)
    if not isinstance(doc, CommentedMap):
        raise ProjectEditError(f"{path} is not a project file (no mapping at the top)")
    return text, yaml, doc


def updated_text(path: str | Path, shot: str, variant: str, fields: Mapping[str, Any]) -> str:
    """The file's text with one variant's fields set (None / "" removes one); nothing is
    written. The Studio renders drafts from it; `update_variant` writes it."""
    text, yaml, doc = _load(Path(path))
    i, variants = _variants(doc, shot)
    j = _index(variants, variant)
    _apply(variants[j], fields)
    return splice_variant(text, yaml, doc, i, variants, replace=j, node=variants[j])


def update_variant(
    path: str | Path, shot: str, variant: str, fields: Mapping[str, Any], *, commit: bool = True
) -> Edit:
    """Set (or, with None / "", remove) fields of one variant in place."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = updated_text(path, shot, variant, fields)
    if new == text:
        return Edit(path, shot, variant, "update")
    _write(path, new)
    return _edit(path, shot, variant, "update", f"update variant {shot}/{variant}", commit)


def add_variant(
    path: str | Path,
    shot: str,
    fields: Mapping[str, Any],
    *,
    variant_id: str | None = None,
    after: str | None = None,
    commit: bool = True,
) -> Edit:
    """Add a variant to a shot (after `after`, else at the end) with a fresh `vN` id."""
    path = Path(path)
    text, yaml, doc = _load(path)
    i, variants = _variants(doc, shot)
    new_id = variant_id or next_variant_id(str(v.get("id")) for v in variants)
    if any(v.get("id") == new_id for v in variants):
        raise ProjectEditError(f"shot {shot!r} already has a variant {new_id!r}")
    ref = _index(variants, after) if after else len(variants) - 1
    node = _new_variant(new_id, fields)
    variants.insert(ref + 1, node)
    new = splice_variant(text, yaml, doc, i, variants, insert_after=ref, node=node)
    _write(path, new)
    return _edit(path, shot, new_id, "add", f"add variant {shot}/{new_id}", commit)


def duplicate_variant(
    path: str | Path,
    shot: str,
    variant: str,
    *,
    variant_id: str | None = None,
    commit: bool = True,
) -> Edit:
    """Copy a variant (its content, not its comments) right after itself, with a new id."""
    path = Path(path)
    _, _, doc = _load(path)
    _, variants = _variants(doc, shot)
    source = variants[_index(variants, variant)]
    fields = {k: (list(v) if k == "allow" else v) for k, v in source.items() if k != "id"}
    new_id = variant_id or next_variant_id(str(v.get("id")) for v in variants)
    add_variant(path, shot, fields, variant_id=new_id, after=variant, commit=False)
    message = f"duplicate {shot}/{variant} as {shot}/{new_id}"
    return _edit(path, shot, new_id, "duplicate", message, commit)


def _edit(path: Path, shot: str, variant: str, kind: str, message: str, commit: bool) -> Edit:
    """The Edit of a file just written, committed as `studio: <message>` when asked."""
    sha = commit_file(path, f"studio: {message}") if commit else None
    return Edit(path, shot, variant, kind, sha)


# -- git -------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def commit_file(path: str | Path, message: str) -> str | None:
    """Commit this one file (nothing else that is staged) and return the new HEAD; None
    when the file is not in a git repository or did not change."""
    path = Path(path).resolve()
    try:
        inside = _git(path.parent, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired):
        return None
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    add = _git(path.parent, "add", "--", path.name)
    if add.returncode != 0:
        raise ProjectEditError(f"git add {path.name} failed: {add.stderr.strip()}")
    if not _git(path.parent, "status", "--porcelain", "--", path.name).stdout.strip():
        return None
    done = _git(path.parent, "commit", "--quiet", "-m", message, "--", path.name)
    if done.returncode != 0:
        raise ProjectEditError(
            f"git commit failed: {(done.stderr or done.stdout).strip()}",
            hint="set user.name and user.email (git config), or switch committing off",
        )
    return _git(path.parent, "rev-parse", "HEAD").stdout.strip() or None


__all__ = [
    "Edit",
    "ProjectEditError",
    "add_variant",
    "commit_file",
    "duplicate_variant",
    "next_variant_id",
    "update_variant",
    "updated_text",
]
