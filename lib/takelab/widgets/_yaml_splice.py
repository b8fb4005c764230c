"""Re-emitting one variant of a project file and splicing it into the original text.

Round-trip YAML keeps comments, but re-emitting a whole document also re-wraps long
plain scalars and can move blank lines. So only the edited variant is emitted (at its
usual depth, so end-of-line comments keep their columns) and put in place of its old
lines; the result is parsed back and compared with the edited document, and if they
differ (flow style, an unusual layout) the whole document is emitted instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def dump(yaml: YAML, node: Any) -> str:
    buf = io.StringIO()
    yaml.dump(node, buf)
    return buf.getvalue()


def _block(yaml: YAML, variant: CommentedMap, column: int) -> list[str]:
    """The variant as sequence-item lines whose first key sits at `column`, trailing
    comment and blank lines left out (they stay in the original text)."""
    # Dumped at its usual depth (shots -> shot -> variants), so end-of-line comments keep
    # their columns; shifted below only if the file's layout differs.
    wrapper = CommentedMap(shots=CommentedSeq([CommentedMap(variants=CommentedSeq([variant]))]))
    lines = dump(yaml, wrapper).splitlines(keepends=True)[2:]
    while lines and _COMMENT_OR_BLANK.match(lines[-1]):
        lines.pop()
    first = lines[0]
    shift = column - (len(first) - len(first.lstrip(" -")))
    if shift >= 0:
        return [" " * shift + ln if ln.strip() else ln for ln in lines]
    return [ln[-shift:] if ln[:-shift].strip() == "" else ln for ln in lines]


def _region(doc: CommentedMap, shot_index: int, variants: CommentedSeq, j: int, n: int) -> int:
    """One past the last content line of variant j (0-based), skipping trailing comments."""
    shots = doc["shots"]
    ends = [n]
    if j + 1 < len(variants):
        ends.append(variants.lc.item(j + 1)[0])
    if shot_index + 1 < len(shots):
        ends.append(shots.lc.item(shot_index + 1)[0])
    keys = list(doc)
    for k in keys[keys.index("shots") + 1 :]:
        ends.append(doc.lc.key(k)[0])
    start = variants.lc.item(j)[0]
    return min(e for e in ends if e > start)


def _content_end(lines: list[str], start: int, end: int) -> int:
    last = start + 1
    for i in range(start, end):
        if not _COMMENT_OR_BLANK.match(lines[i]):
            last = i + 1
    return last


def _splice(
    text: str,
    yaml: YAML,
    doc: CommentedMap,
    shot_index: int,
    variants: CommentedSeq,
    *,
    replace: int | None,
    insert_after: int | None,
    node: CommentedMap,
) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    ref = replace if replace is not None else insert_after
    assert ref is not None
    start = variants.lc.item(ref)[0]
    end = _content_end(lines, start, _region(doc, shot_index, variants, ref, len(lines)))
    block = _block(yaml, node, variants.lc.item(ref)[1])
    if replace is not None:
        return "".join(lines[:start] + block + lines[end:])
    return "".join(lines[:end] + block + lines[end:])


def splice_variant(
    text: str,
    yaml: YAML,
    doc: CommentedMap,
    shot_index: int,
    variants: CommentedSeq,
    *,
    replace: int | None = None,
    insert_after: int | None = None,
    node: CommentedMap,
) -> str:
    """The new file text: spliced when that gives exactly the edited document, else a
    full round-trip dump."""
    try:
        spliced = _splice(
            text,
            yaml,
            doc,
            shot_index,
            variants,
            replace=replace,
            insert_after=insert_after,
            node=node,
        )
        if _plain(YAML(typ="safe").load(spliced)) == _plain(doc):
            return spliced
    except Exception:  # an unusual layout: fall back to a full dump below
        pass
    return dump(yaml, doc)
