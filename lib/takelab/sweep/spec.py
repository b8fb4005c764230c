"""What to sweep, as one typed value: `SweepSpec`, built once from the CLI's flags, a
notebook's parameter or a widget's fields, and validated once.

It crosses the papermill boundary as one JSON parameter (`spec`), and what comes back is
a `NotebookReply`: the `SweepResult`, or the error the kernel raised as data
(`RaisedError`), rebuilt here as the same typed error from `takelab.errors`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from takelab.errors import TakelabError, UsageError
from takelab.home import Home
from takelab.secrets import known_keys, looks_like_secret
from takelab.sweep.result import SweepResult

# Grid fields a user types: a key pasted into one of them would be written into the
# executed notebook (kept in sweeps/ and logged to MLflow), so each is checked.
TYPED_FIELDS = ("project_file", "shots", "variants", "backends", "ray_address")
EXECUTORS = ("threads", "ray")
CHECKED = "checked"  # validation context: the spec was built and checked in the caller


class SweepSpec(BaseModel):
    """One sweep: the grid (shots, variants, backends, seeds), the budget, how takes run,
    and where the store and the follower's files are. JSON-serialisable as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_file: str  # a path (relative ones from the repository) or a project id
    shots: tuple[str, ...] = ()  # shot ids; empty means all
    variants: tuple[str, ...] = ()  # "shot/variant"; empty means all
    backends: tuple[str, ...] = ("previz",)  # NAME[:MODEL]
    seeds: int | tuple[int, ...] = 1  # N means seeds 1..N, or a list of seeds
    budget_usd: float | None = None  # ceiling for this sweep's spending
    concurrency: int = 4
    retry_failed: bool = False
    executor: str = "threads"  # or "ray"
    ray_address: str | None = None
    # Where things are, passed here rather than through environment variables:
    home: str | None = None  # the store (TAKELAB_HOME's or runs/ when None)
    progress_file: str | None = None  # JSON lines for a follower (`takelab sweep`)
    stop_file: str | None = None  # a follower asks the sweep to stop by creating it
    result_file: str | None = None  # where the kernel writes its NotebookReply

    @field_validator(
        "project_file", "home", "progress_file", "stop_file", "result_file", mode="before"
    )
    @classmethod
    def _path_text(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @field_validator("budget_usd", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"budget_usd must be a number of dollars, got {value!r}")
        if value < 0:
            raise UsageError(f"budget_usd must not be negative, got {value}")
        return float(value)

    @field_validator("concurrency", mode="before")
    @classmethod
    def _concurrency(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"concurrency must be a whole number >= 1, got {value!r}")
        return value

    @model_validator(mode="after")
    def _checked(self, info: ValidationInfo) -> SweepSpec:
        check_executor(self.executor, self.ray_address)
        if not (info.context or {}).get(CHECKED):  # a spec read back was checked when built
            check_no_keys({name: getattr(self, name) for name in TYPED_FIELDS})
        return self

    @classmethod
    def parse(cls, data: Any, *, checked: bool = False) -> SweepSpec:
        """A spec from a notebook parameter or JSON; one UsageError naming the field if not.
        `checked=True` reads back a spec that was built (and checked for keys) already."""
        if isinstance(data, SweepSpec):
            return data
        context = {CHECKED: checked}
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data, context=context)
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "spec"
            raise UsageError(
                f"sweep parameter {where}: {first['msg']}",
                hint=f"the fields are: {', '.join(cls.model_fields)}",
            ) from None

    def store(self) -> Home:
        """The store this sweep writes to."""
        return Home(Path(self.home).resolve()) if self.home else Home.from_env()

    def grid(self) -> dict[str, Any]:
        """The grid as the planner takes it (`plan`, `fully_cached`)."""
        return {
            "shots": self.shots,
            "variants": self.variants,
            "backends": self.backends,
            "seeds": self.seeds,
        }


def check_executor(executor: str, ray_address: str | None) -> None:
    """Refuse an unknown executor, or a Ray address without the Ray executor."""
    if executor not in EXECUTORS:
        raise UsageError(
            f"unknown executor {executor!r}", hint=f"choose one of: {', '.join(EXECUTORS)}"
        )
    if ray_address and executor != "ray":
        raise UsageError(
            "a Ray address is given but the executor is not ray", hint="add --executor ray"
        )


def check_no_keys(parameters: dict[str, Any]) -> None:
    """Refuse a parameter that carries an API key: papermill writes every parameter into the
    executed notebook, which is kept in sweeps/ and logged to MLflow. The error names the
    parameter, never its value."""
    keys = known_keys()
    for name, value in parameters.items():
        for text in _texts(value):
            if looks_like_secret(text) or any(
                text == key or (len(key) >= 8 and key in text) for key in keys
            ):
                raise UsageError(
                    f"the parameter {name!r} holds what looks like an API key; it is refused"
                    " so that it is not written into the executed notebook",
                    hint="keys come only from environment variables or a git-ignored .env",
                )


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set):
        return [t for item in value for t in _texts(item)]
    return []


class RaisedError(BaseModel):
    """An error raised in the kernel, as data: its class (module and qualified name) and
    its fields, so the caller raises the same type with the same fields."""

    kind: str  # the class: "takelab.errors.PromptFileError"
    args: list[Any] = []
    fields: dict[str, Any] = {}
    paths: list[str] = []  # fields that were Paths (JSON holds them as text)

    @classmethod
    def of(cls, exc: BaseException) -> RaisedError:
        kind = type(exc)
        fields: dict[str, Any] = {}
        paths: list[str] = []
        for name, value in vars(exc).items():
            if isinstance(value, Path):
                paths.append(name)
                value = str(value)
            if value is None or isinstance(value, str | int | float | bool):
                fields[name] = value
            elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                fields[name] = list(value)
        args = [a if isinstance(a, str | int | float | bool) else str(a) for a in exc.args]
        return cls(
            kind=f"{kind.__module__}.{kind.__qualname__}", args=args, fields=fields, paths=paths
        )

    def error_class(self) -> type[BaseException] | None:
        """The class named, if it is one takelab raises on purpose (or KeyboardInterrupt)."""
        module, _, name = self.kind.rpartition(".")
        if self.kind == "builtins.KeyboardInterrupt":
            return KeyboardInterrupt
        if not (module == "takelab" or module.startswith("takelab.")):
            return None
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            return None
        ok = isinstance(found, type) and issubclass(found, TakelabError)
        return found if ok else None

    def rebuild(self) -> BaseException | None:
        """The same error, fields and all (as pickling rebuilds it); None for a class that
        is not takelab's (a bug in a cell: the caller names the notebook instead)."""
        kind = self.error_class()
        if kind is None:
            return None
        exc = kind.__new__(kind)
        exc.args = tuple(self.args)
        exc.__dict__.update(
            {k: Path(v) if k in self.paths and v is not None else v for k, v in self.fields.items()}
        )
        return exc


class NotebookReply(BaseModel):
    """What the sweep notebook's kernel hands back: the result, or the error it raised."""

    result: SweepResult | None = None
    error: RaisedError | None = None
