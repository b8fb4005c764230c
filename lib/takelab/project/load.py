"""Read a project file into a `Project`.

The YAML is parsed round-trip so every node keeps its line and column; the tree is then
checked here, node by node, before any pydantic model is built. Any problem becomes one
`PromptFileError` naming the file, the line (and column) and what to change. Nothing
else escapes: editors and `takelab lint` call this on half-typed files.
"""

from __future__ import annotations

import difflib
import math
import re
import stat
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from takelab.errors import PromptFileError
from takelab.project.model import (
    ASPECTS,
    MAX_DURATION_S,
    RESOLUTIONS,
    SLUG,
    STRUCTURED_FIELDS,
    Project,
    Shot,
    Variant,
    VariantSettings,
)
from takelab.rule_ids import RULE_IDS
from takelab.settings import settings

TOP_KEYS: tuple[str, ...] = (
    "project",
    "goal",
    "budget_usd",
    "defaults",
    "shots",
    "cut",
    "allow_external_images",
)
DEFAULT_KEYS: tuple[str, ...] = tuple(VariantSettings.model_fields)
SHOT_KEYS: tuple[str, ...] = ("id", "notes", "variants")
VARIANT_KEYS: tuple[str, ...] = (
    "id",
    "prompt",
    *STRUCTURED_FIELDS,
    "duration",
    "aspect",
    "resolution",
    "negative",
    "image",
    "end_image",
    "references",
    "audio",
    "sound",
    "dialogue",
    "beats",
    "extend",
    "allow",
)
# Fields that compose a prompt and so cannot sit beside a free-text `prompt`.
# `style` may: it describes the look, not the content.
PROMPT_EXCLUSIVE: tuple[str, ...] = tuple(f for f in STRUCTURED_FIELDS if f != "style")

_EXAMPLE = "see prompts/tokyo-rain.yaml for a complete example"


class _Pos(NamedTuple):
    line: int
    column: int | None = None


def load(path: Path) -> Project:
    """Read and validate the project file at `path`; any problem raises one PromptFileError."""
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
    return load_text(text, path)


def load_text(text: str, path: Path) -> Project:
    """Validate project YAML `text` as if it were the file at `path`.

    Relative `image:` paths are checked against `path`'s folder.
    """
    doc = _parse(text, path)
    try:
        return _Checker(path).project(doc, text)
    except PromptFileError:
        raise
    except Exception as exc:  # a checker bug must still surface as a PromptFileError
        raise PromptFileError(
            path,
            f"internal error while checking the file: {type(exc).__name__}: {exc}",
            hint="this is a takelab bug; please report it with the file attached",
        ) from exc


# --- reading and parsing ---------------------------------------------------------------


MAX_BYTES_ENV = "TAKELAB_MAX_PROJECT_BYTES"
DEFAULT_MAX_BYTES = 1_000_000  # a project of hundreds of shots is well under 100 kB


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
    except RecursionError:
        raise PromptFileError(
            path,
            "the YAML is nested too deeply to read",
            line=1,
            hint="a project file needs only a few levels: project, shots, variants",
        ) from None
    except Exception as exc:  # ruamel raises ValueError, TypeError... from constructors
        raise PromptFileError(
            path,
            f"the YAML could not be read: {exc}",
            line=1,
            hint="check the file is plain YAML; " + _EXAMPLE,
        ) from None
    if doc is None:
        raise PromptFileError(
            path,
            "the project file is empty",
            line=1,
            hint="start with `project: <slug>` and a `shots:` list; " + _EXAMPLE,
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


# --- describing nodes ------------------------------------------------------------------


def _node_pos(node: Any) -> _Pos:
    try:
        return _Pos(int(node.lc.line) + 1, int(node.lc.col) + 1)
    except (AttributeError, TypeError):
        return _Pos(1)


def _key_pos(mapping: Any, key: Any) -> _Pos:
    try:
        line, col = mapping.lc.key(key)
        return _Pos(int(line) + 1, int(col) + 1)
    except (AttributeError, KeyError, TypeError, ValueError):
        # keys brought in by a `<<:` merge have no position of their own
        return _node_pos(mapping)


def _value_pos(mapping: Any, key: Any) -> _Pos:
    if mapping.get(key) is None or isinstance(mapping.get(key), CommentedMap | CommentedSeq):
        # an empty value's recorded position is wherever the next token starts, and a
        # block list or mapping starts on the next line: point at the key the user wrote
        return _key_pos(mapping, key)
    try:
        line, col = mapping.lc.value(key)
        return _Pos(int(line) + 1, int(col) + 1)
    except (AttributeError, KeyError, TypeError, ValueError):
        return _key_pos(mapping, key)


def _item_pos(seq: Any, index: int) -> _Pos:
    try:
        line, col = seq.lc.item(index)
        return _Pos(int(line) + 1, int(col) + 1)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return _node_pos(seq)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | ScalarBoolean)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not _is_bool(value)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _kind(value: Any) -> str:
    """How a wrong value reads in a message: 'the text '10s'', 'a list'..."""
    if value is None:
        return "nothing"
    if _is_bool(value):
        return f"the true/false value {str(bool(value)).lower()}"
    if _is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    if isinstance(value, TaggedScalar):
        return f"a value tagged {value.tag}"
    if isinstance(value, Mapping):
        return "a mapping (key: value lines)"
    if isinstance(value, Sequence):
        return "a list"
    return f"a {type(value).__name__}"


def _key_name(key: Any) -> str:
    return repr(key) if isinstance(key, str) else f"{_kind(key)} (as a key)"


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text.strip().lower()).strip("-_")
    return slug[:64].rstrip("-_")


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


# --- checking --------------------------------------------------------------------------


class _Checker:
    """Walks the parsed tree, raising at the first problem, collecting lines as it goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[tuple[str, ...], int] = {}
        self.allow_external_images = False
        self.default_duration: float | None = None
        self.default_audio: bool | None = None

    def fail(self, message: str, pos: _Pos | None, hint: str) -> NoReturn:
        raise PromptFileError(
            self.path,
            message,
            line=pos.line if pos else None,
            column=pos.column if pos else None,
            hint=hint,
        )

    # top level

    def project(self, doc: Any, text: str) -> Project:
        if not isinstance(doc, CommentedMap):
            pos = _node_pos(doc) if isinstance(doc, CommentedSeq) else _Pos(_first_line(text))
            self.fail(
                f"the top level must be a mapping (project:, shots:, ...), got {_kind(doc)}",
                pos,
                "start the file with `project: <slug>` on its own line; " + _EXAMPLE,
            )
        self.keys(doc, TOP_KEYS, "at the top level", "top")
        for key in doc:
            self.lines[(str(key),)] = _key_pos(doc, key).line
        first = _node_pos(doc)
        if "project" not in doc:
            self.fail(
                "missing `project:` (the project's name)",
                first,
                "add a line `project: <slug>` at the top, e.g. project: tokyo-rain",
            )
        if "shots" not in doc:
            self.fail(
                "missing `shots:` (the list of shots)",
                first,
                "add `shots:` with at least one shot (`- id: ...` and `variants:`); " + _EXAMPLE,
            )
        name = self.slug(doc, "project", "project name")
        goal = self.text(doc, "goal", "goal")
        budget = self.budget(doc)
        defaults = self.defaults(doc)
        self.allow_external_images = self.flag(doc, "allow_external_images")
        shots = self.shots(doc)
        from takelab.project._cut_loader import check_cut  # imports this module's helpers

        cut = check_cut(self, doc, shots, defaults)
        try:
            project = Project(
                project=name,
                goal=goal,
                budget_usd=budget,
                defaults=defaults,
                shots=shots,
                cut=cut,
                allow_external_images=self.allow_external_images,
            )
        except ValidationError as exc:
            self.fail(f"invalid project: {_first_error(exc)}", first, _EXAMPLE)
        project._path = self.path.resolve()
        project._lines = self.lines
        return project

    def keys(self, mapping: CommentedMap, allowed: tuple[str, ...], where: str, level: str) -> None:
        for key in mapping:
            if isinstance(key, str) and key in allowed:
                continue
            self.fail(
                f"unknown key {_key_name(key)} {where}",
                _key_pos(mapping, key),
                _unknown_key_hint(key, allowed, level),
            )

    def flag(self, doc: CommentedMap, key: str) -> bool:
        value = doc.get(key)
        if value is None:
            return False
        if not _is_bool(value):
            self.fail(
                f"{key} must be true or false, got {_kind(value)}",
                _value_pos(doc, key),
                f"write `{key}: true` or `{key}: false`, without quotes",
            )
        return bool(value)

    def budget(self, doc: CommentedMap) -> float | None:
        value = doc.get("budget_usd")
        if value is None:
            return None
        pos = _value_pos(doc, "budget_usd")
        amount = self.number(value, pos, "budget_usd", "a number of US dollars", "25")
        if not math.isfinite(amount):
            self.fail(
                f"budget_usd must be a finite amount, got {value}",
                pos,
                "write an amount in US dollars, e.g. budget_usd: 25",
            )
        if amount < 0:
            self.fail(
                f"budget_usd must be 0 or more, got {_number_text(amount)}",
                pos,
                "write a positive amount in US dollars, e.g. budget_usd: 25, or remove the line",
            )
        return amount

    def defaults(self, doc: CommentedMap) -> VariantSettings:
        node = doc.get("defaults")
        if node is None:
            return VariantSettings()
        if not isinstance(node, CommentedMap):
            self.fail(
                f"defaults must be a mapping of variant settings, got {_kind(node)}",
                _value_pos(doc, "defaults"),
                "indent settings under it, e.g. `defaults:` then `  duration: 8`",
            )
        self.keys(node, DEFAULT_KEYS, "in defaults", "defaults")
        for key in node:
            self.lines[("defaults", str(key))] = _key_pos(node, key).line
        settings = self.settings(node, "defaults")
        settings["negative"] = self.text(node, "negative", "defaults: negative", keep_empty=True)
        settings["style"] = self.text(node, "style", "defaults: style")
        from takelab.project._variant_fields import audio_and_sound

        settings.update(audio_and_sound(self, node, "defaults"))
        self.default_duration = settings.get("duration")
        self.default_audio = settings.get("audio")
        try:
            return VariantSettings(**settings)
        except ValidationError as exc:
            self.fail(f"invalid defaults: {_first_error(exc)}", _node_pos(node), _EXAMPLE)

    # shots and variants

    def shots(self, doc: CommentedMap) -> list[Shot]:
        node = doc["shots"]
        pos = _value_pos(doc, "shots")
        if node is None or (isinstance(node, CommentedSeq) and not node):
            self.fail(
                "shots is empty: a project needs at least one shot",
                pos,
                "add a shot under `shots:`: `- id: opening` with a `variants:` list",
            )
        if not isinstance(node, CommentedSeq):
            self.fail(
                f"shots must be a list of shots, got {_kind(node)}",
                pos,
                "start each shot with '- id: <slug>' on its own line under `shots:`",
            )
        shots: list[Shot] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(node):
            shots.append(self.shot(node, index, item, seen))
        return shots

    def shot(self, seq: CommentedSeq, index: int, node: Any, seen: dict[str, int]) -> Shot:
        pos = _item_pos(seq, index)
        label = f"shot #{index + 1}"
        if not isinstance(node, CommentedMap):
            self.fail(
                f"{label} must be a mapping with id: and variants:, got {_kind(node)}",
                pos,
                "write a shot as '- id: <slug>' followed by an indented `variants:` list",
            )
        raw_id = node.get("id")
        if isinstance(raw_id, str) and raw_id.strip():
            label = f"shot {raw_id.strip()!r}"
        self.keys(node, SHOT_KEYS, f"in {label}", "shot")
        if "id" not in node:
            self.fail(
                f"{label} has no `id:`",
                pos,
                f"add `id: <slug>` as the shot's first line, e.g. id: shot-{index + 1}",
            )
        shot_id = self.slug(node, "id", f"shot #{index + 1}: id")
        if shot_id in seen:
            self.fail(
                f"duplicate shot id {shot_id!r} (first used on line {seen[shot_id]})",
                _value_pos(node, "id"),
                f"give each shot its own id, e.g. {_unused(seen, shot_id + '-')}",
            )
        seen[shot_id] = pos.line
        label = f"shot {shot_id!r}"
        self.lines[("shot", shot_id)] = pos.line
        for key in node:
            self.lines[("shot", shot_id, str(key))] = _key_pos(node, key).line
        notes = self.text(node, "notes", f"{label}: notes")
        if "variants" not in node:
            self.fail(
                f"{label} has no `variants:`",
                pos,
                "add `variants:` with at least one `- id: v1` and a prompt: or subject:",
            )
        variants_node = node["variants"]
        vpos = _value_pos(node, "variants")
        if variants_node is None or (isinstance(variants_node, CommentedSeq) and not variants_node):
            self.fail(
                f"{label} has no variants: the list is empty",
                vpos,
                "add a variant under `variants:`: `- id: v1` and `prompt: ...`",
            )
        if not isinstance(variants_node, CommentedSeq):
            self.fail(
                f"{label}: variants must be a list, got {_kind(variants_node)}",
                vpos,
                "start each variant with '- id: <slug>' on its own line under `variants:`",
            )
        variants: list[Variant] = []
        seen_variants: dict[str, int] = {}
        for vindex, vnode in enumerate(variants_node):
            variants.append(self.variant(shot_id, variants_node, vindex, vnode, seen_variants))
        try:
            return Shot(id=shot_id, notes=notes, variants=variants)
        except ValidationError as exc:
            self.fail(f"invalid {label}: {_first_error(exc)}", pos, _EXAMPLE)

    def variant(
        self, shot_id: str, seq: CommentedSeq, index: int, node: Any, seen: dict[str, int]
    ) -> Variant:
        pos = _item_pos(seq, index)
        label = f"shot {shot_id!r}, variant #{index + 1}"
        if not isinstance(node, CommentedMap):
            self.fail(
                f"{label} must be a mapping with id: and prompt: or subject:, got {_kind(node)}",
                pos,
                "write a variant as '- id: v1' followed by an indented `prompt: ...`",
            )
        raw_id = node.get("id")
        if isinstance(raw_id, str) and raw_id.strip():
            label = f"shot {shot_id!r}, variant {raw_id.strip()!r}"
        self.keys(node, VARIANT_KEYS, f"in {label}", "variant")
        if "id" not in node:
            self.fail(
                f"{label} has no `id:`",
                pos,
                f"add `id: <slug>` as the variant's first line, e.g. id: v{index + 1}",
            )
        variant_id = self.slug(node, "id", f"shot {shot_id!r}, variant #{index + 1}: id")
        if variant_id in seen:
            self.fail(
                f"duplicate variant id {variant_id!r} in shot {shot_id!r} "
                f"(first used on line {seen[variant_id]})",
                _value_pos(node, "id"),
                f"give each variant of a shot its own id, e.g. {_unused(seen, 'v')}",
            )
        seen[variant_id] = pos.line
        label = f"shot {shot_id!r}, variant {variant_id!r}"
        self.lines[("shot", shot_id, "variant", variant_id)] = pos.line
        for key in node:
            self.lines[("shot", shot_id, "variant", variant_id, str(key))] = _key_pos(
                node, key
            ).line

        fields: dict[str, Any] = {"id": variant_id}
        for name in ("prompt", "subject"):
            if name in node:
                fields[name] = self.text(node, name, f"{label}: {name}", required=True)
        for name in ("secondary", "action", "camera", "lighting", "style"):
            fields[name] = self.text(node, name, f"{label}: {name}")
        fields["negative"] = self.text(node, "negative", f"{label}: negative", keep_empty=True)
        fields.update(self.settings(node, label))
        fields["image"] = self.image(node, label)
        from takelab.project._variant_fields import check_silence, variant_fields

        duration = fields.get("duration") or self.default_duration
        fields.update(variant_fields(self, node, label, duration))
        audio = fields.get("audio")
        check_silence(self, node, label, self.default_audio if audio is None else audio, fields)
        fields["allow"] = self.allow(node, label)

        structured = [f for f in PROMPT_EXCLUSIVE if fields.get(f)]
        if fields.get("prompt") is not None and structured:
            self.fail(
                f"{label} has both prompt: and structured fields ({', '.join(structured)})",
                _key_pos(node, structured[0]),
                "a variant has either prompt: or structured fields, not both: remove "
                f"prompt: or fold {', '.join(structured)} into the prompt text",
            )
        if fields.get("prompt") is None and fields.get("subject") is None:
            if structured:
                self.fail(
                    f"{label} has structured fields ({', '.join(structured)}) but no subject:",
                    pos,
                    "add `subject: <who or what the shot is about>`, "
                    "or write the whole text as prompt: ...",
                )
            self.fail(
                f"{label} has neither prompt: nor subject:",
                pos,
                "add `prompt: <the full text>`, or structured fields starting with subject:",
            )
        try:
            return Variant(**fields)
        except ValidationError as exc:
            self.fail(f"invalid {label}: {_first_error(exc)}", pos, _EXAMPLE)

    # fields

    def settings(self, node: CommentedMap, label: str) -> dict[str, Any]:
        """duration, aspect and resolution, which variants share with defaults."""
        out: dict[str, Any] = {}
        if node.get("duration") is not None:
            out["duration"] = self.duration(node, label)
        for key, allowed, example in (
            ("aspect", ASPECTS, '"16:9"'),
            ("resolution", RESOLUTIONS, "720p"),
        ):
            if node.get(key) is not None:
                out[key] = self.choice(node, key, allowed, example, label)
        return out

    def choice(
        self, node: CommentedMap, key: str, allowed: tuple[str, ...], example: str, label: str
    ) -> str:
        value = node[key]
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        plain = isinstance(value, str) or _is_number(value)
        # near misses worth naming: 720P, resolution: 720, aspect: 16/9
        guess = str(value).strip().lower().replace("/", ":").replace(" ", "") if plain else ""
        if key == "resolution" and guess.isdigit():
            guess += "p"
        did_you_mean = f"did you mean {guess!r}? " if guess in allowed else ""
        if isinstance(value, str):
            shown = _short(value.strip())
        else:
            shown = str(value) if plain else _kind(value)
        self.fail(
            f"{label}: unknown {key} {shown}",
            _value_pos(node, key),
            f"{did_you_mean}use one of {', '.join(allowed)}, e.g. {key}: {example}",
        )

    def duration(self, node: CommentedMap, label: str) -> float:
        pos = _value_pos(node, "duration")
        value = node["duration"]
        seconds = self.number(value, pos, f"{label}: duration", "a number of seconds", "8")
        if not seconds > 0:
            self.fail(
                f"{label}: duration must be more than 0 seconds, got {value}",
                pos,
                "write a positive number of seconds, e.g. duration: 8",
            )
        if seconds > MAX_DURATION_S:
            limit = _number_text(MAX_DURATION_S)
            self.fail(
                f"{label}: duration {value} is over the {limit}-second limit",
                pos,
                f"write at most duration: {limit}; most video models make 4 to 10 s per clip",
            )
        return seconds

    def number(self, value: Any, pos: _Pos, field: str, expected: str, example: str) -> float:
        name = field.rsplit(": ", 1)[-1]
        if not _is_number(value):
            self.fail(
                f"{field} must be {expected}, got {_kind(value)}",
                pos,
                f"write a plain number without quotes or units, e.g. {name}: {example}",
            )
        try:
            return float(value)
        except OverflowError:
            return math.inf

    def text(
        self,
        node: CommentedMap,
        key: str,
        field: str,
        *,
        required: bool = False,
        keep_empty: bool = False,
    ) -> str | None:
        """A text field, stripped; empty counts as absent unless `required` (then an error)."""
        value = node.get(key)
        if value is not None and not isinstance(value, str):
            hint = "write it as text on one line, or use `" + key + ": >` for several lines"
            if _is_number(value) or _is_bool(value):
                hint = f'put the value in quotes, e.g. {key}: "{value}"'
            self.fail(f"{field} must be text, got {_kind(value)}", _value_pos(node, key), hint)
        stripped = str(value).strip() if value is not None else ""
        if stripped:
            return stripped
        if required:
            self.fail(
                f"{field} is empty",
                _key_pos(node, key),
                f"write the text after `{key}:`, or remove the key",
            )
        return "" if keep_empty and value is not None else None

    def slug(self, node: CommentedMap, key: str, field: str) -> str:
        value = self.text(node, key, field, required=True)
        assert value is not None  # required=True raised otherwise
        if not SLUG.match(value):
            suggestion = _slugify(value)
            if suggestion and SLUG.match(suggestion):
                hint = f"use lowercase letters, digits, - and _, e.g. {key}: {suggestion}"
            else:
                hint = f"use lowercase letters, digits, - and _ (at most 64), e.g. {key}: v1"
            self.fail(
                f"{field} {_short(value)} is not a slug",
                _value_pos(node, key),
                hint,
            )
        return value

    def image(self, node: CommentedMap, label: str) -> str | None:
        value = self.text(node, "image", f"{label}: image")
        if value is None:
            return None
        self.media_file(node, "image", label, value, _value_pos(node, "image"))
        return value

    def media_file(self, node: Any, key: Any, label: str, value: str, pos: _Pos) -> None:
        """An input image (`image`, `end_image`, a reference): inside the project file's
        folder unless allowed otherwise, and present."""
        target = self.path.parent / value
        if not self.allow_external_images:
            self.image_inside(label, value, target, pos)
        try:
            found = target.is_file()
        except (OSError, ValueError):
            found = False
        if not found:
            name = key if isinstance(key, str) else "reference"
            self.fail(
                f"{label}: {name} file {value!r} not found (looked for {target})",
                pos,
                "put the image there, fix the path (it is relative to the project file's "
                f"folder), or remove the {name}: line",
            )

    def image_inside(self, label: str, value: str, target: Path, pos: _Pos) -> None:
        """Refuse an image outside the project file's folder (symlinks resolved), so that a
        shared project file cannot make takelab read and send any file on the machine."""
        folder = self.path.parent
        try:
            inside = target.resolve().is_relative_to(folder.resolve())
        except (OSError, ValueError, RuntimeError):  # a symlink loop, a NUL in the path
            inside = False
        if not inside:
            self.fail(
                f"{label}: image {value!r} is outside the project file's folder ({folder})",
                pos,
                "move the image next to the project file (e.g. into refs/ beside it), or set "
                "`allow_external_images: true` at the top level of the project file",
            )

    def allow(self, node: CommentedMap, label: str) -> list[str]:
        value = node.get("allow")
        if value is None:
            return []
        example = "allow: [legible-text]"
        if not isinstance(value, CommentedSeq):
            if isinstance(value, str) and value.strip():
                example = f"allow: [{value.strip()}]"
            self.fail(
                f"{label}: allow must be a list of lint rule ids, got {_kind(value)}",
                _value_pos(node, "allow"),
                f"write a list, e.g. {example}",
            )
        rules: list[str] = []
        for index, item in enumerate(value):
            rule = item.strip() if isinstance(item, str) else None
            if rule in RULE_IDS:
                assert rule is not None
                rules.append(rule)
                continue
            shown = repr(rule) if rule is not None else _kind(item)
            close = difflib.get_close_matches(rule or "", RULE_IDS, n=1, cutoff=0.6)
            did_you_mean = f"did you mean {close[0]!r}? " if close else ""
            self.fail(
                f"{label}: {shown} in allow is not a lint rule id",
                _item_pos(value, index),
                f"{did_you_mean}known rules: {', '.join(RULE_IDS)}",
            )
        return rules


def _unknown_key_hint(key: Any, allowed: tuple[str, ...], level: str) -> str:
    name = key.strip() if isinstance(key, str) else ""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6) if name else []
    if close:
        return f"did you mean {close[0]!r}?"
    if level == "shot" and name in VARIANT_KEYS:
        return f"{name} belongs to a variant: put it under `variants:` in a `- id: v1` entry"
    if level == "top" and name in VARIANT_KEYS:
        return f"set {name} under `defaults:` or in a variant"
    if level == "defaults" and name in VARIANT_KEYS:
        return f"defaults can set {', '.join(allowed)}; set {name} in each variant instead"
    return f"allowed here: {', '.join(allowed)}"


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))


def _unused(seen: Mapping[str, int], prefix: str) -> str:
    number = 2
    while f"{prefix}{number}" in seen:
        number += 1
    return f"{prefix}{number}"


def _first_line(text: str) -> int:
    """The first line with content, for errors about a document with no positions."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            return number
    return 1


__all__ = ["load", "load_text"]
