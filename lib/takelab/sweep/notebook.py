"""A sweep run as a notebook: `takelab sweep` executes `02_sweep.ipynb` through papermill, so
every sweep leaves an executed notebook behind, and the kernel hands its summary back with
`write_result`. The papermill call itself is notebook_run.py's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takelab.home import Home, repo_root, resolve_project_path
from takelab.journal.store import Journal
from takelab.project.model import load_project
from takelab.sweep.cached import fully_cached
from takelab.sweep.notebook_run import check_parameters
from takelab.sweep.plan import plan
from takelab.sweep.ray_cluster import check_address, check_executor, import_ray
from takelab.sweep.run import SweepResult, check_budget, run_sweep


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def notebook_path() -> Path:
    """The sweep notebook shipped with the repository."""
    return repo_root() / "notebooks" / "02_sweep.ipynb"


def run_sweep_notebook(
    project_file: str | Path,
    *,
    shots: Sequence[str] = (),
    variants: Sequence[str] = (),
    backends: Sequence[str] = ("previz",),
    seeds: int | Sequence[int] = 1,
    budget_usd: float | None = None,
    concurrency: int = 4,
    retry_failed: bool = False,
    home: Home | None = None,
    progress_file: Path | None = None,
    stop_file: Path | None = None,
    executor: str = "threads",
    ray_address: str | None = None,
) -> tuple[Path | None, dict[str, Any]]:
    """Execute `02_sweep.ipynb` with these parameters through papermill; return the executed
    notebook's path and the sweep's summary (read back from the notebook's output).

    A grid whose every take is made and logged already runs here, without a kernel: it
    records one cached sweep run and no notebook (the path returned is None)."""
    home = (home or Home.from_env()).ensure()
    project = load_project(resolve_project_path(project_file))  # fail fast, before a kernel starts
    check_budget(budget_usd)
    check_executor(executor, ray_address)
    out = home.sweeps / f"{_stamp()}-{project.project}.ipynb"
    parameters: dict[str, Any] = {
        "project_file": str(project.path),
        "shots": list(shots),
        "variants": list(variants),
        "backends": list(backends),
        "seeds": seeds if isinstance(seeds, int) else list(seeds),
        "budget_usd": budget_usd,
        "concurrency": concurrency,
        "retry_failed": retry_failed,
        "executor": executor,
        "ray_address": ray_address,
        "result_file": str(home.tmp / f"{out.stem}.result.json"),
    }
    check_parameters(parameters)  # a key in a parameter is refused before anything else
    # Planning the grid refuses a retired model, a setting the model cannot do and an
    # unknown `extend:` take here, with the file's line, rather than inside the kernel.
    plan(project, shots=shots, variants=variants, backends=backends, seeds=seeds)
    if not retry_failed and fully_cached(
        project,
        Journal(home.journal_url),
        shots=shots,
        variants=variants,
        backends=backends,
        seeds=seeds,
    ):
        # Nothing to run: a kernel, papermill and a notebook would only record that.
        result = run_sweep(
            project.path,
            shots=shots,
            variants=variants,
            backends=backends,
            seeds=seeds,
            budget_usd=budget_usd,
            progress=False,
            home=home,
        )
        return None, result_summary(result)
    if executor == "ray":
        import_ray()
        check_address(ray_address)
    from takelab.sweep.notebook_run import execute, import_papermill

    pm = import_papermill()  # only now: every check above fails fast without it
    summary = execute(pm, notebook_path(), out, parameters, home, progress_file, stop_file)
    return out, summary


def write_result(result: SweepResult, path: str | Path | None) -> None:
    """Hand the sweep's summary to the process that ran the notebook (no-op without a path)."""
    if not path:
        return
    Path(path).write_text(json.dumps(result_summary(result), indent=2))


def result_summary(result: SweepResult) -> dict[str, Any]:
    """What `takelab sweep` prints of a sweep, as plain data."""
    return {
        "project": result.project,
        "sweep_id": result.sweep_id,
        "sweep_run_id": result.sweep_run_id,
        "experiment_id": result.experiment_id,
        "link": result.link,
        "metrics": result.metrics,
        "spend_usd": result.spend_usd,
        "budget_usd": result.budget_usd,
        "warnings": result.warnings,
        "interrupted": result.interrupted,
        "artifact_uri": result.artifact_uri,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "outcomes": [asdict(o) for o in result.outcomes],
    }
