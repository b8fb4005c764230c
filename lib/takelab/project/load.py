"""Read a project file into a model (`Project`).

The YAML is parsed round-trip so every node keeps its line and column, then validated
by the model, where every rule of the file lives. The first problem (the earliest in the
file) becomes one `PromptFileError` naming the file, the line and column, the field and
what to change (`_explain`). Nothing else escapes: editors and `takelab lint` call this
on half-typed files. This module knows YAML, not the model: the model is passed in.
"""

from __future__ import annotations

import difflib
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from takelab.errors import PromptFileError
from takelab.project._explain import explain, item_pos, key_pos, kind, node_pos
from takelab.project._fields import EXAMPLE, VARIANT_KEYS
from takelab.settings import settings

M = TypeVar("M", bound=BaseModel)


def load(path: Path, model: type[M]) -> M:
    """Read and validate the file at `path`; any problem raises one PromptFileError."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise PromptFileError(
            path,
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            line=line,
            column=column,
            hint="save the file as UTF-8 (most editors: 'Save with encoding')",
        ) from None
    return load_text(text, path, model)


def load_text(text: str, path: Path, model: type[M]) -> M:
    """Validate YAML `text` as if it were the file at `path` (relative paths in it are
    checked against `path`'s folder)."""
    try:
        doc = _parse(text, path)
        if not isinstance(doc, CommentedMap):
            raise PromptFileError(
                path,
                f"the top level must be a mapping (project:, shots:, ...), got {kind(doc)}",
                line=node_pos(doc)[0] if isinstance(doc, CommentedSeq) else _first_line(text),
                hint="start the file with `project: <slug>` on its own line; " + EXAMPLE,
            )
        loaded = model.model_validate(_plain(doc), context={"folder": path.parent})
        lines = _lines(doc)
    except ValidationError as exc:
        try:
            problem = explain(exc, doc, path, model)
        except Exception as bug:  # a bug must still surface as a PromptFileError
            problem = _internal(path, bug)
        raise problem from None
    except PromptFileError:
        raise
    except RecursionError:
        raise PromptFileError(
            path,
            "the YAML is nested too deeply to read",
            line=1,
            hint="a project file needs only a few levels: project, shots, variants",
        ) from None
    except Exception as exc:  # a bug must still surface as a PromptFileError
        raise _internal(path, exc) from exc
    attach = getattr(loaded, "attach", None)
    if attach is not None:
        attach(path, lines)
    return loaded


def _internal(path: Path, exc: Exception) -> PromptFileError:
    return PromptFileError(
        path,
        f"internal error while checking the file: {type(exc).__name__}: {exc}",
        line=1,
        hint="this is a takelab bug; please report it with the file attached",
    )


def _plain(node: Any) -> Any:
    """The parsed tree as plain dicts, lists, str, int, float and bool (merge keys
    applied), so that the model sees values, not ruamel's formatting-keeping types."""
    if isinstance(node, Mapping):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for plain in (bool, str, int, float):
        if isinstance(node, plain):
            return plain(node)
    return node


def _lines(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """The line of every key and list item, by path: ("shots", "0", "variants", ...)."""
    out: dict[tuple[str, ...], int] = {}
    if isinstance(node, CommentedMap):
        for key in node:
            path = (*prefix, str(key))
            out[path] = key_pos(node, key)[0]
            out.update(_lines(node[key], path))
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            path = (*prefix, str(index))
            out[path] = item_pos(node, index)[0]
            out.update(_lines(item, path))
    return out


# --- reading and parsing ---------------------------------------------------------------


MAX_BYTES_ENV = "TAKELAB_MAX_PROJECT_BYTES"


def max_project_bytes() -> int:
    """The size limit of a project file: TAKELAB_MAX_PROJECT_BYTES, default about 1 MB."""
    return settings().max_project_bytes


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise PromptFileError(
                path,
                "is a directory, not a project file",
                hint="give the path of a .yaml file, e.g. prompts/tokyo-rain.yaml",
            )
        limit = max_project_bytes()
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise PromptFileError(
                path,
                "is not a regular file (a device, pipe or socket)",
                hint="give the path of a .yaml file, e.g. prompts/tokyo-rain.yaml",
            )
        if info.st_size > limit:
            raise PromptFileError(
                path,
                f"the file is {info.st_size:,} bytes, over the {limit:,}-byte limit for a"
                " project file",
                hint=f"split it into several project files, or raise {MAX_BYTES_ENV}",
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise PromptFileError(path, "project file not found", hint=_missing_hint(path)) from None
    except PermissionError:
        raise PromptFileError(
            path,
            "cannot read the project file: permission denied",
            hint="make the file readable (chmod u+r) or copy it somewhere you can read",
        ) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PromptFileError(
            path,
            f"cannot read the project file: {reason}",
            hint="check that the path names a readable .yaml file",
        ) from None


def _missing_hint(path: Path) -> str:
    try:
        siblings = sorted(p.name for p in path.parent.glob("*.y*ml"))
    except (OSError, ValueError):
        siblings = []
    close = difflib.get_close_matches(path.name, siblings, n=1)
    if close:
        return f"did you mean {path.parent / close[0]}?"
    if siblings:
        return f"project files in {path.parent}: {', '.join(siblings[:8])}"
    return "check the path; project files usually live in prompts/"


def _timestamp_as_text(constructor: RoundTripConstructor, node: Any) -> str:
    return str(node.value)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps dates as text: no field here is a date, and
    converting one can fail without a position ("day is out of range for month")."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _parse(text: str, path: Path) -> Any:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        doc = yaml.load(text)
    except DuplicateKeyError as exc:
        match = re.search(r'found duplicate key "(.*?)" with value', str(exc.problem))
        key = match.group(1) if match else "?"
        raise PromptFileError(
            path,
            f"duplicate key {key!r} in one mapping",
            **_mark(exc.problem_mark),
            hint=f"each key may appear once per mapping; remove or rename this {key!r}",
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and "end of stream" in str(exc.problem):
            # an unclosed quote or bracket: where it opened is what needs fixing
            mark = exc.context_mark
        problem = str(exc.problem or exc.context or "invalid YAML").strip()
        context = ""
        if exc.context and exc.context_mark and exc.problem:
            context = f" ({exc.context} started on line {exc.context_mark.line + 1})"
        raise PromptFileError(
            path,
            f"YAML syntax error: {problem}{context}",
            **_mark(mark),
            hint=_syntax_hint(problem + context),
        ) from None
    except ReaderError as exc:
        before = text[: max(0, int(exc.position))]
        code = exc.character if isinstance(exc.character, int) else 0
        raise PromptFileError(
            path,
            f"the file contains the character #x{code:04x}, which YAML does not allow",
            line=before.count("\n") + 1,
            column=len(before) - (before.rfind("\n") + 1) + 1,
            hint="remove the control character; save the file as plain UTF-8 text",
        ) from None
    except RecursionError:  # reported by load_text
        raise
    except Exception as exc:  # ruamel raises ValueError, TypeError... from constructors
        raise PromptFileError(
            path,
            f"the YAML could not be read: {exc}",
            line=1,
            hint="check the file is plain YAML; " + EXAMPLE,
        ) from None
    if doc is None:
        raise PromptFileError(
            path,
            "the project file is empty",
            line=1,
            hint="start with `project: <slug>` and a `shots:` list; " + EXAMPLE,
        )
    return doc


def _mark(mark: Any) -> dict[str, int | None]:
    if mark is None:
        return {"line": None, "column": None}
    return {"line": int(mark.line) + 1, "column": int(mark.column) + 1}


def _syntax_hint(problem: str) -> str:
    if "'\\t'" in problem or "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "put text that contains ': ' in quotes, or fix the indentation of this line"
    if "another document" in problem:
        return "a project file holds one document: remove the second '---'"
    if "alias" in problem:
        return "define the anchor (&name) before using *name, or remove the alias"
    if "flow" in problem or "']'" in problem or "'}'" in problem:
        return "close the [ ] or { } that was opened, or put the text in quotes"
    if "quoted scalar" in problem:
        return "close the quote that was opened"
    return "check the indentation and the quoting around this line"


def _first_line(text: str) -> int:
    """The first line with content, for errors about a document with no positions."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            return number
    return 1


__all__ = ["VARIANT_KEYS", "load", "load_text", "max_project_bytes"]
