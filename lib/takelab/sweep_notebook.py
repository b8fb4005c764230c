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

from takelab.home import Home, repo_root
from takelab.ray_cluster import check_address, check_executor, import_ray
from takelab.shots import load_project
from takelab.sweep import SweepResult, check_budget


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
) -> tuple[Path, dict[str, Any]]:
    """Execute `02_sweep.ipynb` with these parameters through papermill; return the executed
    notebook's path and the sweep's summary (read back from the notebook's output)."""
    import papermill as pm

    from takelab.notebook_run import execute

    home = (home or Home.from_env()).ensure()
    project = load_project(project_file)  # fail fast, before a kernel starts
    check_budget(budget_usd)
    check_executor(executor, ray_address)
    if executor == "ray":
        import_ray()
        check_address(ray_address)
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
    summary = execute(pm, notebook_path(), out, parameters, home, progress_file, stop_file)
    return out, summary


def write_result(result: SweepResult, path: str | Path | None) -> None:
    """Hand the sweep's summary to the process that ran the notebook (no-op without a path)."""
    if not path:
        return
    data = {
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
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "outcomes": [asdict(o) for o in result.outcomes],
    }
    Path(path).write_text(json.dumps(data, indent=2))
