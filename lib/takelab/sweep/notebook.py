"""A sweep run as a notebook: `takelab sweep` executes `02_sweep.ipynb` through papermill
with one parameter, the `SweepSpec` as JSON, so every sweep leaves an executed notebook
behind. The kernel side is `run_in_notebook`: it reads the spec back, runs it and hands a
`NotebookReply` (the result, or its error by type) back. The papermill call itself is
notebook_run.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takelab.home import Home, repo_root, resolve_project_path
from takelab.journal.store import Journal
from takelab.project.model import load_project
from takelab.sweep.cached import fully_cached
from takelab.sweep.plan import plan
from takelab.sweep.ray_cluster import check_address, import_ray
from takelab.sweep.result import SweepResult
from takelab.sweep.run import run_spec
from takelab.sweep.spec import NotebookReply, RaisedError, SweepSpec


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def notebook_path() -> Path:
    """The sweep notebook shipped with the repository."""
    return repo_root() / "notebooks" / "02_sweep.ipynb"


def sweep_in_notebook(spec: SweepSpec) -> SweepResult:
    """Execute `02_sweep.ipynb` with `spec` through papermill and return the sweep's result
    (its `notebook` is the executed notebook's path).

    A grid whose every take is made and logged already runs here, without a kernel: it
    records one cached sweep run and no notebook (`notebook` is None)."""
    home = spec.store().ensure()
    project = load_project(resolve_project_path(spec.project_file))  # before a kernel starts
    out = home.sweeps / f"{_stamp()}-{project.project}.ipynb"
    spec = spec.model_copy(
        update={
            "project_file": str(project.path),
            "home": str(home.root),
            "result_file": str(home.tmp / f"{out.stem}.result.json"),
        }
    )
    # Planning the grid refuses a retired model, a setting the model cannot do and an
    # unknown `extend:` take here, with the file's line, rather than inside the kernel.
    plan(project, **spec.grid())
    if not spec.retry_failed and fully_cached(project, Journal(home.journal_url), **spec.grid()):
        # Nothing to run: a kernel, papermill and a notebook would only record that.
        return run_spec(spec, project=project, progress=False)
    if spec.executor == "ray":
        import_ray()
        check_address(spec.ray_address)
    from takelab.sweep.notebook_run import execute, import_papermill

    pm = import_papermill()  # only now: every check above fails fast without it
    return execute(pm, notebook_path(), out, spec, home)


def run_sweep_notebook(
    project_file: str | Path,
    *,
    home: Home | None = None,
    shots: Sequence[str] = (),
    variants: Sequence[str] = (),
    backends: Sequence[str] = ("previz",),
    seeds: int | Sequence[int] = 1,
    **options: Any,
) -> SweepResult:
    """`sweep_in_notebook` with the spec built from keyword arguments (SweepSpec's fields)."""
    home = (home or Home.from_env()).ensure()
    spec = SweepSpec.parse(
        {
            "project_file": project_file,
            "shots": shots,
            "variants": variants,
            "backends": backends,
            "seeds": seeds,
            **options,
            "home": home.root,
        }
    )
    return sweep_in_notebook(spec)


def run_in_notebook(spec: Any) -> SweepResult:
    """The sweep notebook's body: read the `spec` parameter back (a dict, JSON or a
    SweepSpec), run it here, and hand the result, or the error it raised, back to the
    process that started the kernel (through the spec's `result_file`)."""
    result_file = spec.get("result_file") if isinstance(spec, dict) else None
    try:
        parsed = SweepSpec.parse(spec, checked=True)  # checked for keys when it was built
        result_file = parsed.result_file
        result = run_spec(parsed, progress=True)
    except BaseException as exc:
        _reply(result_file, NotebookReply(error=RaisedError.of(exc)))
        raise
    _reply(result_file, NotebookReply(result=result))
    return result


def _reply(path: str | None, reply: NotebookReply) -> None:
    if path:  # a notebook run by hand has no caller to reply to
        Path(path).write_text(reply.model_dump_json(indent=2))
