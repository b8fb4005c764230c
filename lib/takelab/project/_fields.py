"""Field rules of the project file, shared by its models: each checks one value read from
the file and, when it is wrong, raises one error saying what is wrong and what to write.

The rules run when a file is validated (`model_validate(..., context=...)`, as the loader
does); a model built in code is taken as given. Messages are templates the loader fills
in from the error's place: {subject} is the field with where it sits ("shot 'a', variant
'v1': duration"), {owner} the place alone, {owner_} the place and ': ' (empty at the top),
{field} the key. An error's `at` points below the checked value (an item of a list).
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

# The order a variant's keys are written in (the editor keeps it).
VARIANT_KEYS: tuple[str, ...] = tuple(
    "id prompt subject secondary action camera lighting style duration aspect resolution "  # noqa: SIM905
    "negative image end_image references audio sound dialogue beats extend allow".split()
)
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EXAMPLE = "see prompts/tokyo-rain.yaml for a complete example"


def fail(message: str, hint: str, *at: str | int, **extra: Any) -> PydanticCustomError:
    """One file error: the message template, its hint, and where below the value it is
    (`key=1`: point at the key rather than its value)."""
    return PydanticCustomError("takelab", message, {"hint": hint, "at": at, **extra})


def checking(info: ValidationInfo) -> bool:
    """True while a project file is validated (the loader passes its folder as context)."""
    return isinstance(info.context, Mapping) and "folder" in info.context


def rule(check: Callable[..., Any], *, with_info: bool = False) -> BeforeValidator:
    """A field rule that runs only on file input: `check(value)`, or `check(value, info)`
    `with_info` (to read the project file's folder)."""

    def run(value: Any, info: ValidationInfo) -> Any:
        if not checking(info):
            return value
        return check(value, info) if with_info else check(value)

    return BeforeValidator(run)


# --- describing values -----------------------------------------------------------------


class Section(BaseModel):
    """A mapping of the file: unknown keys are errors, and where `SHORT` names a field, a
    lone text stands for it (`- refs/hero.png` is `- image: refs/hero.png`)."""

    model_config = ConfigDict(extra="forbid")
    SHORT: ClassVar[str | None] = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any, info: ValidationInfo) -> Any:
        short = isinstance(data, str) and cls.SHORT and checking(info)
        return {cls.SHORT: data} if short else data


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not is_bool(value)


def short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def kind(value: Any) -> str:
    """How a wrong value reads in a message: 'the text '10s'', 'a list'..."""
    if value is None:
        return "nothing"
    if is_bool(value):
        return f"the true/false value {str(value).lower()}"
    if is_number(value):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {short(value)}"
    if isinstance(value, Mapping):
        return "a mapping (key: value lines)"
    if isinstance(value, Sequence):
        return "a list"
    tag = getattr(value, "tag", None)
    return f"a value tagged {tag}" if tag else f"a {type(value).__name__}"


def number_text(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and float(value).is_integer() else str(value)


# --- text --------------------------------------------------------------------------------


def text(value: Any, *, required: bool = False, keep_empty: bool = False) -> str | None:
    """Stripped text; empty counts as absent, unless `required` (then an error)."""
    if value is not None and not isinstance(value, str):
        hint = "write it as text on one line, or use `{field}: >` for several lines"
        if is_number(value) or is_bool(value):
            hint = f'put the value in quotes, e.g. {{field}}: "{value}"'
        raise fail(f"{{subject}} must be text, got {kind(value)}", hint)
    stripped = value.strip() if value is not None else ""
    if stripped or (keep_empty and value is not None):
        return stripped
    if required:
        hint = "write the text after `{field}:`, or remove the key"
        raise fail("{subject} is empty", hint, key=1)
    return None


def slug(value: Any) -> str:
    name = text(value, required=True) or ""
    if not SLUG.match(name):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-_")[:64].rstrip("-_")
        ok = bool(suggestion and SLUG.match(suggestion))
        raise fail(
            f"{{subject}} {short(name)} is not a slug",
            "use lowercase letters, digits, - and _"
            + (f", e.g. {{field}}: {suggestion}" if ok else " (at most 64), e.g. {field}: v1"),
        )
    return name


def choice(allowed: Sequence[str], example: str) -> Callable[[Any], str | None]:
    """One of `allowed`, naming a near miss: 720P, resolution: 720, aspect: 16/9."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        plain = isinstance(value, str) or is_number(value)
        guess = str(value).strip().lower().replace("/", ":").replace(" ", "") if plain else ""
        guess += "p" if guess.isdigit() and "1080p" in allowed else ""
        maybe = f"did you mean {guess!r}? " if guess in allowed else ""
        shown = str(value) if plain else kind(value)
        shown = short(value.strip()) if isinstance(value, str) else shown
        raise fail(
            f"{{owner_}}unknown {{field}} {shown}",
            f"{maybe}use one of {', '.join(allowed)}, e.g. {{field}}: {example}",
        )

    return check


def one_of(value: Any, allowed: Sequence[str], what: str, hint: str) -> str:
    """A name from `allowed`, suggesting the close one."""
    name = (text(value, required=True) or "").lower()
    if name in allowed:
        return name
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
    maybe = f"did you mean {close[0]!r}? " if close else ""
    raise fail(f"{{owner_}}unknown {what} {short(str(value).strip())}", maybe + hint)


# --- numbers -----------------------------------------------------------------------------


def amount(
    unit: str,
    example: str,
    low: float = 0.0,
    high: float = math.inf,
    *,
    above: bool = False,
    whole: bool = False,
    low_message: str = "",
    high_message: str = "",
    hint: str = "",
) -> Callable[[Any], float | None]:
    """A number of `unit` from `low` (or `above` it) to `high`, as `{field}: {example}`.
    Out of range reads "is out of range" when both ends are finite, else "must be `low` or
    more" / "more than `low`"; `{value}` in a message is the number as written."""
    both = math.isfinite(high)
    start = (
        f"more than {number_text(low)} {unit}" if above else f"{number_text(low)} {unit} or more"
    )
    low_message = low_message or (
        f"{{subject}} {{value}} {unit} is out of range"
        if both
        else f"{{subject}} must be {start}, got {{value}}"
    )
    high_message = high_message or f"{{subject}} {{value}} {unit} is out of range"
    span = f" from {number_text(low)} to {number_text(high)}" if both and not above else ""
    hint = hint or f"write a number of {unit}{span}, e.g. {{field}}: {example}"

    def check(value: Any) -> float | None:
        if value is None:
            return None
        if not is_number(value) or (whole and not float(value).is_integer()):
            raise fail(
                f"{{subject}} must be a {'whole ' * whole}number of {unit}, got {kind(value)}",
                f"write a plain number{span} without quotes or units, e.g. {{field}}: {example}",
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        shown = number_text(number)
        if number > high:
            raise fail(high_message.replace("{value}", shown), hint)
        if not (math.isfinite(number) and (number > low if above else number >= low)):
            raise fail(low_message.replace("{value}", shown), hint)
        return number

    return check


seconds = amount("seconds", "1.5")


def flag(value: Any) -> bool | None:
    if value is None or is_bool(value):
        return value  # type: ignore[no-any-return]
    raise fail(
        f"{{subject}} must be true or false, got {kind(value)}",
        "write `{field}: true` or `{field}: false`, without quotes",
    )


def listed(value: Any) -> Any:
    """An empty `key:` is an empty list."""
    return [] if value is None else value


def listed_map(value: Any) -> Any:
    """An empty `key:` is an empty mapping."""
    return {} if value is None else value


# --- files -------------------------------------------------------------------------------


def inside(path: Path, info: ValidationInfo, shown: str, noun: str = "file") -> None:
    """Refuse a file outside the project file's folder (symlinks resolved), so that a shared
    project file cannot make takelab read and send any file on the machine."""
    context: Mapping[str, Any] = info.context or {}
    if context.get("external"):
        return
    folder = Path(context["folder"])
    try:
        ok = path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError, RuntimeError):  # a symlink loop, a NUL in the path
        ok = False
    if not ok:
        raise fail(
            f"{{owner_}}{{field}} {short(shown)} is outside the project file's folder ({folder})",
            f"move the {noun} next to the project file (e.g. into refs/ beside it), or set "
            "`allow_external_images: true` at the top level of the project file",
        )


def file(what: str, suffixes: Sequence[str] = ()) -> Callable[[Any, ValidationInfo], Any]:
    """A file named relative to the project file: inside its folder, present, of a kind."""

    def check(value: Any, info: ValidationInfo) -> str | None:
        name = text(value, required=True)
        if name is None:
            return None
        folder = Path((info.context or {})["folder"])
        path = Path(name).expanduser()
        target = path if path.is_absolute() else folder / path
        inside(target, info, name, "image" if "{field}" in what else "file")
        try:
            present = target.is_file()
        except (OSError, ValueError):
            present = False
        if not present:
            raise fail(
                f"{what} file {name!r} not found (looked for {target})",
                "put the file there or fix the path (it is relative to the project file's "
                "folder), or remove the {field}: line",
            )
        if suffixes and target.suffix.lower() not in suffixes:
            raise fail(
                f"{what} file {name!r} is not a {' / '.join(suffixes)} file",
                f"give a {' or '.join(suffixes)} file",
            )
        return name

    return check


def nonempty(message: str, hint: str) -> Callable[[Any], Any]:
    """A list that must hold something when the key is written."""

    def check(value: Any) -> Any:
        if value is None or value == []:
            raise fail(message, hint)
        return value

    return check
