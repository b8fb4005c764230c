"""Executing the sweep notebook with papermill: parameters in, executed notebook and a
summary out, kernel errors turned into typed errors without a traceback for the user."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from takelab.errors import NotebookError as NotebookError  # defined with every error
from takelab.errors import UsageError
from takelab.home import Home
from takelab.secrets import known_keys, looks_like_secret
from takelab.sweep.progress import PROGRESS_ENV, STOP_ENV

# ipykernel warns on every start that its ZeroMQ sockets are TCP without encryption. The
# kernel papermill starts here is local: jupyter_client binds it to 127.0.0.1 only, and
# every message is signed with the HMAC key of a connection file only this user can read.
# Nothing crosses the network, so the warning is noise on every sweep; the kernel's own
# log is raised to errors (a failing cell still reaches the user through papermill).
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]

# Errors raised in the kernel that are the user's to fix, shown as such.
USER_ERRORS = {
    "UsageError",
    "PromptFileError",
    "SettingsError",
    "BudgetError",
    "MissingKeyError",
    "BackendError",
}
# The notebook's last cell raises this when a take is not done: the sweep itself ran, and
# the summary (with its verdict) is what the caller gets.
INCOMPLETE = "SweepIncomplete"


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


def execute(
    pm: Any,
    source: Path,
    out: Path,
    parameters: dict[str, Any],
    home: Home,
    progress_file: Path | None,
    stop_file: Path | None = None,
) -> dict[str, Any]:
    """Run `source` into `out`; log the executed notebook on the sweep run; return summary."""
    check_parameters(parameters)
    result_file = Path(parameters["result_file"])
    result_file.unlink(missing_ok=True)
    saved = {k: os.environ.get(k) for k in (PROGRESS_ENV, STOP_ENV, "TAKELAB_HOME")}
    os.environ["TAKELAB_HOME"] = str(home.root)
    if progress_file is not None:
        os.environ[PROGRESS_ENV] = str(progress_file)
    if stop_file is not None:
        os.environ[STOP_ENV] = str(stop_file)
    try:
        pm.execute_notebook(
            str(source),
            str(out),
            parameters=parameters,
            progress_bar=False,
            cwd=str(Path.cwd()),
            kernel_name="python3",
            extra_arguments=QUIET_KERNEL,
        )
    except pm.PapermillExecutionError as exc:
        summary = _read(result_file)
        _log_notebook(home, summary, out)
        if exc.ename == INCOMPLETE and summary:
            result_file.unlink(missing_ok=True)
            return summary
        if exc.ename in USER_ERRORS:
            raise UsageError(f"{exc.evalue}") from None
        if exc.ename == "KeyboardInterrupt":
            raise KeyboardInterrupt from None
        raise NotebookError(out, exc.ename, exc.evalue, exec_count=exc.exec_count) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    summary = _read(result_file)
    _log_notebook(home, summary, out)
    result_file.unlink(missing_ok=True)
    return summary


def check_parameters(parameters: dict[str, Any]) -> None:
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
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    return []


def _read(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data


def _log_notebook(home: Home, summary: dict[str, Any], notebook: Path) -> None:
    run_id = summary.get("sweep_run_id")
    if not run_id or not notebook.exists():
        return
    local = local_artifact_dir(summary.get("artifact_uri"))
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
        summary.setdefault("warnings", []).append(f"could not log the notebook to MLflow: {exc}")


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
