"""Executing the sweep notebook with papermill: a SweepSpec in, the executed notebook and
a SweepResult out, a kernel's error raised again as the same type, without a traceback
for the user."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from takelab.errors import (
    BackendError,
    BudgetError,
    MissingKeyError,
    NotebookError,
    PromptFileError,
    SettingsError,
    TakelabError,
    UsageError,
)
from takelab.home import Home
from takelab.sweep.result import SweepResult
from takelab.sweep.spec import NotebookReply, SweepSpec

# ipykernel warns on every start that its ZeroMQ sockets are TCP without encryption. The
# kernel papermill starts here is local: jupyter_client binds it to 127.0.0.1 only, and
# every message is signed with the HMAC key of a connection file only this user can read.
# Nothing crosses the network, so the warning is noise on every sweep; the kernel's own
# log is raised to errors (a failing cell still reaches the user through papermill).
# pyzmq's stream callbacks log through tornado's "tornado.general" logger, which ignores
# that level: a callback that fails while the kernel shuts down after the last cell
# printed a traceback into `takelab sweep`'s output (seen once in three full test runs).
# The sweep's result and every cell's error come back through papermill, not this log.
QUIET_KERNEL = [
    "--IPKernelApp.log_level=ERROR",
    "--IPKernelApp.exec_lines=import logging as _l;"
    " _l.getLogger('tornado.general').setLevel(_l.CRITICAL); del _l",
]


# Errors the kernel raises that are the user's to fix (a missing key, an unknown backend,
# a budget, a parameter, the project file): `takelab sweep` exits 2 for them, as for bad
# input. Exact types: a subclass (e.g. LocalModelError) keeps its own exit code.
USER_ERRORS: tuple[type[TakelabError], ...] = (
    UsageError,
    PromptFileError,
    SettingsError,
    BudgetError,
    MissingKeyError,
    BackendError,
)


def import_papermill() -> Any:
    """papermill, imported without `rfc3987_syntax`.

    nbformat imports jsonschema, whose format checkers import `rfc3987_syntax` when it is
    installed (jupyter_events asks for it); that module compiles a Lark grammar at import,
    which was three quarters of `import papermill` (13.3 s of 13.4 s on a busy 2-core
    machine, 3.8 s without it). jsonschema skips the `iri` checker when the import fails,
    and no notebook schema uses that format, so this process goes without it.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill

    return papermill


def execute(pm: Any, source: Path, out: Path, spec: SweepSpec, home: Home) -> SweepResult:
    """Run `source` into `out` with `spec` as its one parameter; log the executed notebook
    on the sweep run; return the kernel's SweepResult, or raise the error it raised as the
    same type (a bug in a cell: NotebookError naming the notebook and the cell)."""
    assert spec.result_file is not None
    result_file = Path(spec.result_file)
    result_file.unlink(missing_ok=True)
    failure = None
    try:
        pm.execute_notebook(
            str(source),
            str(out),
            parameters={"spec": spec.model_dump(mode="json")},
            progress_bar=False,
            cwd=str(Path.cwd()),
            kernel_name="python3",
            extra_arguments=QUIET_KERNEL,
        )
    except pm.PapermillExecutionError as exc:
        failure = exc
    reply = _read(result_file)
    result_file.unlink(missing_ok=True)
    result = reply.result
    if result is not None:
        result.notebook = str(out)
        _log_notebook(home, result, out)
    if reply.error is not None and (raised := reply.error.rebuild()) is not None:
        if type(raised) in USER_ERRORS and isinstance(raised, TakelabError):
            raised.exit_code = 2  # the user's to fix: bad input, exit 2 (`takelab sweep -h`)
        raise raised from None
    # The last cell fails an incomplete sweep on purpose (`result.check()`): the sweep
    # ran, and its result (with its verdict) is what the caller gets.
    if failure is not None and (result is None or result.verdict == "complete"):
        raise NotebookError(
            out, failure.ename, failure.evalue, exec_count=failure.exec_count
        ) from None
    if result is None:
        raise NotebookError(out, "no result", "the kernel handed no result back", exec_count=None)
    return result


def _read(path: Path) -> NotebookReply:
    try:
        return NotebookReply.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return NotebookReply()


def _log_notebook(home: Home, result: SweepResult, notebook: Path) -> None:
    run_id = result.sweep_run_id
    if not run_id or not notebook.exists():
        return
    local = local_artifact_dir(result.artifact_uri)
    try:
        if local is not None:
            # A local store's artifacts are plain files: copying the notebook in is all that
            # MLflow's own log_artifact would do, without importing MLflow here (seconds).
            local.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(notebook, local / notebook.name)
            return
        from takelab.tracking.tracker import Tracker

        Tracker(home).log_sweep_artifact(run_id, notebook)
    except Exception as exc:  # MLflow down: the notebook stays in sweeps/
        result.warnings.append(f"could not log the notebook to MLflow: {exc}")


def local_artifact_dir(uri: object) -> Path | None:
    """The folder of a `file:` or plain-path artifact URI; None for any remote store."""
    if not isinstance(uri, str) or not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(url2pathname(parsed.path))
    if parsed.scheme == "" and Path(uri).is_absolute():
        return Path(uri)
    return None
