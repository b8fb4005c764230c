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
MAX_BYTES_ENV = "TAKELAB_MAX_PROJECT_BYTES"
A_YAML_FILE = "give the path of a .yaml file, e.g. prompts/tokyo-rain.yaml"
# A YAML syntax problem's wording -> what to do about it (first match wins).
SYNTAX_HINTS = (
    (("'\\t'", "tab"), "indent with spaces, not tabs"),
    (
        ("mapping values are not allowed",),
        "put text that contains ': ' in quotes, or fix the indentation of this line",
    ),
    (("another document",), "a project file holds one document: remove the second '---'"),
    (("alias",), "define the anchor (&name) before using *name, or remove the alias"),
    (("flow", "']'", "'}'"), "close the [ ] or { } that was opened, or put the text in quotes"),
    (("quoted scalar",), "close the quote that was opened"),
)


def load(path: Path, model: type[M]) -> M:
    """Read and validate the file at `path`; any problem raises one PromptFileError."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        raise PromptFileError(
            path,
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            **_at(before.decode("utf-8", errors="replace")),
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
    for plain in (bool, str, int, float):
        if isinstance(node, plain) or (plain is bool and isinstance(node, ScalarBoolean)):
            return plain(node)
    return node


def _lines(node: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """The line of every key and list item, by path: ("shots", "0", "variants", ...)."""
    out: dict[tuple[str, ...], int] = {}
    items = enumerate(node) if isinstance(node, CommentedSeq) else []
    for key, child in node.items() if isinstance(node, CommentedMap) else items:
        path = (*prefix, str(key))
        pos = key_pos(node, key) if isinstance(node, CommentedMap) else item_pos(node, key)
        out[path] = pos[0]
        out.update(_lines(child, path))
    return out


# --- reading and parsing ---------------------------------------------------------------


def max_project_bytes() -> int:
    """The size limit of a project file: TAKELAB_MAX_PROJECT_BYTES, default about 1 MB."""
    return settings().max_project_bytes


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise PromptFileError(path, "is a directory, not a project file", hint=A_YAML_FILE)
        limit, info = max_project_bytes(), path.stat()
        if not stat.S_ISREG(info.st_mode):
            message = "is not a regular file (a device, pipe or socket)"
            raise PromptFileError(path, message, hint=A_YAML_FILE)
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


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps dates as text: no field here is a date, and
    converting one can fail without a position ("day is out of range for month")."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda _, node: str(node.value))


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
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        hint = next((h for words, h in SYNTAX_HINTS if any(w in problem for w in words)), None)
        raise PromptFileError(
            path,
            f"YAML syntax error: {problem}",
            **_mark(mark),
            hint=hint or "check the indentation and the quoting around this line",
        ) from None
    except ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else 0
        raise PromptFileError(
            path,
            f"the file contains the character #x{code:04x}, which YAML does not allow",
            **_at(text[: max(0, int(exc.position))]),
            hint="remove the control character; save the file as plain UTF-8 text",
        ) from None
    except RecursionError:  # reported by load_text
        raise
    except Exception as exc:  # ruamel raises ValueError, TypeError... from constructors
        message = f"the YAML could not be read: {exc}"
        raise PromptFileError(
            path, message, line=1, hint="check the file is plain YAML; " + EXAMPLE
        ) from None
    if doc is None:
        hint = "start with `project: <slug>` and a `shots:` list; " + EXAMPLE
        raise PromptFileError(path, "the project file is empty", line=1, hint=hint)
    return doc


def _mark(mark: Any) -> dict[str, int | None]:
    if mark is None:
        return {"line": None, "column": None}
    return {"line": int(mark.line) + 1, "column": int(mark.column) + 1}


def _at(before: str) -> dict[str, int | None]:
    """The line and column just after the text `before` (1-based)."""
    return {"line": before.count("\n") + 1, "column": len(before) - (before.rfind("\n") + 1) + 1}


def _first_line(text: str) -> int:
    """The first line with content, for errors about a document with no positions."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            return number
    return 1


__all__ = ["VARIANT_KEYS", "load", "load_text", "max_project_bytes"]
