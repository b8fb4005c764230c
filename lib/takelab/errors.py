"""One root exception and the typed errors callers catch."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from takelab.scrub import scrub


class TakelabError(Exception):
    """Root of every error takelab raises on purpose; the CLI shows these without a traceback."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Messages often quote a provider or an exception: never let them carry a key.
        message = scrub(message)
        hint = scrub(hint) if hint else hint
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, not its __init__ arguments, so that every subclass
        # crosses a process boundary (a Ray worker's error) with its fields intact.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[TakelabError], args: tuple[Any, ...], state: dict[str, Any]) -> TakelabError:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class PromptFileError(TakelabError):
    """A project file that does not load: names the file, line and column, and what to change."""

    exit_code = 2

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = Path(path)
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class UsageError(TakelabError):
    """A bad argument or parameter from the user (CLI flag, notebook parameter)."""

    exit_code = 2


class SettingsError(UsageError):
    """One or more settings (environment variables, the settings file, a `.env`) with a
    value of the wrong kind; `problems` holds (variable, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        listed = "; ".join(f"{variable}={detail}" for variable, detail in problems)
        names = ", ".join(dict.fromkeys(variable for variable, _ in problems))
        super().__init__(
            f"bad setting: {listed}",
            hint=f"fix or unset {names}; `takelab doctor --settings` lists every setting",
        )
        self.problems = problems
        self.variables = [variable for variable, _ in problems]


class BackendError(TakelabError):
    """A backend that cannot be found, configured or reached."""

    def __init__(self, backend: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{backend}: {message}", hint=hint)
        self.backend = backend


class MissingKeyError(BackendError):
    """A provider key is not set; raised before anything is submitted."""

    def __init__(self, backend: str, variable: str) -> None:
        super().__init__(
            backend,
            f"the environment variable {variable} is not set",
            hint=f"export {variable}=... or put it in a git-ignored .env file",
        )
        self.variable = variable


class JournalDamagedError(TakelabError):
    """The journal's SQLite file is not a database, or fails its integrity check."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(
            f"the journal {where} is damaged ({detail})",
            hint="run `takelab doctor`: it moves the damaged file aside and rebuilds the"
            " journal from the take folders and MLflow",
        )
        self.where = where


class SweepIncomplete(TakelabError):
    """A sweep that ran, but not every take of its grid ended done or cached (failed,
    blocked, uncertain, pending, over budget, stopped by lint...). Exit code 3."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            hint="see the takes' status and message in the summary; rerun to resume pending takes",
        )


class BudgetError(TakelabError):
    """Money past a budget that something refused to book: the team journal's guard
    (PostgreSQL) refuses a take's reservation or charge beyond the project's team budget.
    A take whose price does not fit a budget in the ordinary way is not an error: it ends
    `over-budget` and the sweep goes on. A budget that is not a number is a UsageError."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


class TakeNotFoundError(TakelabError):
    """No take in the journal matches the id or prefix given."""

    def __init__(self, take_id: str, *, matches: int = 0) -> None:
        if matches > 1:
            super().__init__(
                f"take id {take_id!r} is ambiguous: {matches} takes start with it",
                hint="give more characters of the id (see `takelab takes`)",
            )
        else:
            super().__init__(
                f"no take with id {take_id!r}", hint="list take ids with `takelab takes`"
            )
        self.take_id = take_id


class VideoError(TakelabError):
    """A video file that does not exist, does not decode or is not what was asked."""

    def __init__(self, path: Path | str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {message}", hint=hint)
        self.path = Path(path)


class SubmitError(BackendError):
    """A create call that failed. `reached_provider` False means no job can exist (the
    provider refused the request, or it never left this machine), so nothing is charged."""

    def __init__(
        self,
        backend: str,
        message: str,
        *,
        reached_provider: bool,
        code: str | None = None,
        hint: str | None = None,
        blocked: bool = False,
    ) -> None:
        super().__init__(backend, message, hint=hint)
        self.reached_provider = reached_provider
        self.code = code
        self.blocked = blocked  # refused by moderation: the take ends `blocked`, not `failed`


class ModelRetired(SubmitError):
    """The provider answered that the model is no longer available (404): nothing was made
    or charged, and asking again cannot help, so it is never retried; the take records it
    with error code `model-retired`."""

    def __init__(self, backend: str, model: str, detail: str) -> None:
        super().__init__(
            backend,
            f"the provider no longer serves model {model!r}: {detail}",
            reached_provider=False,
            code="model-retired",
            hint="pick a current model (`takelab backends` lists them with their status)",
        )
        self.model = model


class OutputGoneError(BackendError):
    """A finished job's output can no longer be downloaded (its URL expired or was deleted)."""

    def __init__(self, backend: str, job_id: str, detail: str) -> None:
        super().__init__(
            backend,
            f"the output of job {job_id} is gone: {detail}",
            hint="output URLs expire (often within 24-48 h); the job was paid, generate it anew",
        )
        self.job_id = job_id


class UnusableOutputError(BackendError):
    """A finished job's output that must not or cannot be downloaded: a URL takelab will
    not fetch (file://, plain http, a private address), too many redirects, or a body over
    the size cap. The take settles as failed with this reason; it is never left pending."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(
            backend,
            f"the output cannot be used: {reason}",
            hint="the job may still be visible on the provider's dashboard",
        )
        self.reason = reason


class LocalModelError(BackendError):
    """A local model whose weights cannot be found or loaded; raised before anything runs."""

    def __init__(self, backend: str, model: str, source: str, variable: str, detail: str) -> None:
        super().__init__(
            backend,
            f"cannot load model {model!r} from {source}: {detail}",
            hint=(
                f"set {variable} to a local diffusers folder, or to a Hugging Face hub id "
                "you can download (`hf auth login` for gated models)"
            ),
        )
        self.model = model
        self.source = source
        self.variable = variable


class RetiredModel(Protocol):
    """What `ModelRetiredError` says about a model (backends.models.ModelInfo has it)."""

    @property
    def spec(self) -> str: ...
    @property
    def shutdown(self) -> str | None: ...
    @property
    def replacement(self) -> str | None: ...
    @property
    def instead(self) -> str | None: ...


class ModelRetiredError(UsageError):
    """A model the provider no longer serves, refused before anything is sent."""

    def __init__(self, info: RetiredModel) -> None:
        instead = (
            f"use {info.replacement} instead"
            if info.replacement
            else "the provider names no replacement; "
            + (info.instead or "pick another backend (`takelab backends`)")
        )
        super().__init__(
            f"{info.spec} was retired on {info.shutdown}: the provider no longer serves it",
            hint=instead,
        )
        self.info = info


class CredentialsError(TakelabError):
    """Signing a cut that cannot be set up (certificate, key, trust) or that c2pa refused."""


class CutError(TakelabError):
    """A cut that cannot be made from what the journal holds (no accepted take...)."""

    exit_code = 2

    def __init__(self, message: str, *, shot: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.shot = shot


class ProjectEditError(TakelabError):
    """An edit that cannot be made: unknown shot or variant, or a git commit that failed."""


class NotebookError(TakelabError):
    """The sweep notebook failed in a cell; names the notebook and the error."""

    def __init__(self, notebook: Path, ename: str, evalue: str, *, exec_count: int | None) -> None:
        cell = f" (cell {exec_count})" if exec_count is not None else ""
        super().__init__(
            f"{ename} in {notebook}{cell}: {evalue}",
            hint="open the executed notebook to see the cell's output",
        )
        self.notebook = notebook
        self.ename = ename
        self.evalue = evalue
        self.exec_count = exec_count


class WorkerError(Exception):
    """An error from a Ray worker that could not be sent back as itself; never a
    TakelabError, so a create call that failed this way leaves its take uncertain."""


TRACKING_REPAIR_HINT = (
    "run `takelab doctor`: it moves the file aside (nothing is deleted), makes a new store"
    " and logs every take again from the journal"
)


class TrackingStoreError(TakelabError):
    """The local MLflow store exists but cannot be used: names the file and the repair."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"the MLflow store {path} is damaged: {problem}", hint=TRACKING_REPAIR_HINT
        )
        self.path = path
        self.problem = problem


class TeamStoreError(TakelabError):
    """MLflow's database on the team server is not at this MLflow's schema."""

    def __init__(self, database: str, problem: str, *, upgrade_command: str) -> None:
        super().__init__(
            f"MLflow's database {database!r} on the team's PostgreSQL is not ready: {problem}"
            " (a migration was interrupted, or MLflow was upgraded)",
            hint=(
                f"back up the team folder, then run `{upgrade_command}` (it runs"
                " `mlflow db upgrade` on that database) and `make team-up` again"
            ),
        )
        self.database = database
        self.problem = problem
        self.upgrade_command = upgrade_command
