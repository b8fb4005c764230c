"""Sweeps: a grid of takes run together under a budget, tracked as one MLflow parent run.

`run_spec` runs one `SweepSpec` in this process (the notebook `02_sweep.ipynb` calls it
through `run_in_notebook`); `run_sweep` builds the spec from keyword arguments (widgets,
scripts). `takelab sweep` runs the notebook through papermill (notebook.py), so every
sweep leaves an executed notebook behind.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from takelab.backends import endpoint_notices
from takelab.gitinfo import GitState, git_state
from takelab.home import Home, repo_root, resolve_project_path
from takelab.journal import lost_jobs
from takelab.journal.store import Journal
from takelab.project.model import Project, load_project
from takelab.scrub import scrub
from takelab.status import TakeStatus
from takelab.sweep.cached import cached_tags, link_take_runs
from takelab.sweep.plan import PlannedTake, plan
from takelab.sweep.progress import Follow, SweepProgress
from takelab.sweep.ray_cluster import executor_session
from takelab.sweep.result import Outcome
from takelab.sweep.result import SweepResult as SweepResult  # callers import it from here
from takelab.sweep.spec import SweepSpec
from takelab.sweep.take import SweepContext, run_take
from takelab.sweep.tracking_setup import SweepTracking
from takelab.tracking.names import run_link
from takelab.tracking.tracker import Tracker

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

RECORDED_PACKAGES = ("takelab", "mlflow", "papermill", "av", "numpy", "pydantic")


def package_versions() -> dict[str, str]:
    out = {}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def run_sweep(
    project_file: str | Path | Project,
    *,
    shots: Sequence[str] = (),
    variants: Sequence[str] = (),
    backends: Sequence[str] = ("previz",),
    seeds: int | Sequence[int] = 1,
    budget_usd: float | None = None,
    concurrency: int = 4,
    retry_failed: bool = False,
    sweep_run_id: str | None = None,
    progress: bool = True,
    home: Home | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    executor: str = "threads",
    ray_address: str | None = None,
    draft: bool = False,
) -> SweepResult:
    """Run every take of the grid concurrently under the budget; finished takes are reused.

    The arguments make one `SweepSpec` (see `run_spec`). `project_file` is a path (relative
    ones resolve from the repository, whatever the current directory:
    `home.resolve_project_path`) or an already-loaded `Project`, e.g. a Studio draft built
    with `project_from_text` that is not written to its file; `draft=True` records its
    takes as made from a file that differs from its commit.
    """
    project = project_file if isinstance(project_file, Project) else None
    spec = SweepSpec.model_validate(
        {
            "project_file": project.path if project is not None else project_file,
            "shots": tuple(shots),
            "variants": tuple(variants),
            "backends": tuple(backends),
            "seeds": seeds if isinstance(seeds, int) else tuple(seeds),
            "budget_usd": budget_usd,
            "concurrency": concurrency,
            "retry_failed": retry_failed,
            "executor": executor,
            "ray_address": ray_address,
            "home": home.root if home is not None else None,
        }
    )
    return run_spec(
        spec,
        project=project,
        sweep_run_id=sweep_run_id,
        progress=progress,
        on_outcome=on_outcome,
        draft=draft,
    )


def run_spec(
    spec: SweepSpec,
    *,
    project: Project | None = None,
    sweep_run_id: str | None = None,
    progress: bool = True,
    on_outcome: Callable[[Outcome], None] | None = None,
    draft: bool = False,
) -> SweepResult:
    """Run the sweep `spec` describes, in this process (the notebook's kernel calls it).

    `executor="ray"` runs the takes' backend calls as Ray tasks, on the cluster at
    `ray_address` or on a local one started (and stopped) here; the budget, the journal and
    MLflow stay in this process. `project` is the spec's project already loaded (a draft).
    """
    home = spec.store().ensure()
    _ = home.tracking_uri  # a team journal without the team's MLflow is refused up front
    # Resolved in one place (home.py): a notebook's kernel runs in notebooks/, a script
    # anywhere, and both name the file as prompts/<project>.yaml.
    if project is None:
        project = load_project(resolve_project_path(spec.project_file))
    planned = plan(project, **spec.grid())
    with executor_session(spec.executor, spec.ray_address) as cluster:
        return _run(
            project,
            cluster.wrap(planned) if cluster is not None else planned,
            home=home,
            spec=spec,
            sweep_run_id=sweep_run_id,
            progress=progress,
            on_outcome=on_outcome,
            states=cluster.board.counts if cluster is not None else None,
            draft=draft,
        )


def _run(
    project: Project,
    planned: list[PlannedTake],
    *,
    home: Home,
    spec: SweepSpec,
    sweep_run_id: str | None,
    progress: bool,
    on_outcome: Callable[[Outcome], None] | None,
    states: Callable[[], dict[str, int]] | None,
    draft: bool = False,
) -> SweepResult:
    for backend in {p.backend.spec: p.backend for p in planned}.values():
        backend.check_ready()
    journal = Journal(home.journal_url)
    git = git_state(project.path)
    if draft:  # what runs is not what the file holds
        git = GitState(git.commit, True)
    warnings: list[str] = endpoint_notices([p.backend for p in planned])
    if git.commit is None:
        warnings.append(f"{project.path.name} is not in a git repository: takes record no commit")
    elif git.dirty:
        warnings.append(
            f"{project.path.name} has uncommitted edits: takes record commit {git.commit[:10]},"
            " which does not hold them"
        )
    if journal.db.restricted and journal.team_budget(project.project) is None:
        warnings.append(
            f"project {project.project} has no team budget: paid takes are over-budget until"
            f" the admin runs `takelab team budget {project.project} USD`"
        )
    for w in warnings:
        log.warning(w)

    budget = spec.budget_usd
    grid = {
        "shots": ",".join(spec.shots),
        "variants": ",".join(spec.variants),
        "backends": ",".join(spec.backends),
        "seeds": json.dumps(spec.seeds if isinstance(spec.seeds, int) else list(spec.seeds)),
        "executor": spec.executor,
    }
    lost_jobs.keep_reserve(home)  # room for a job id the journal cannot record
    sweep_id = uuid.uuid4().hex[:16]
    params = {
        "project_file": str(project.path),
        **grid,
        "budget_usd": "" if budget is None else f"{budget:g}",
        "concurrency": spec.concurrency,
        "git_commit": git.commit or "",
        "git_dirty": git.dirty,
        **{f"version.{k}": v for k, v in package_versions().items()},
    }
    closer = partial(_close_run, home)
    for dead_sweep, _ in journal.close_dead_sweeps(closer):
        warnings.append(f"sweep {dead_sweep} was killed mid-run; its takes resume here")
    journal.start_sweep(sweep_id, project.project, budget, params)
    # MLflow is set up while the first takes are submitted (sweep_tracking.py).
    tracking = SweepTracking(
        home,
        journal,
        project=project.project,
        sweep_id=sweep_id,
        params=params,
        sweep_run_id=sweep_run_id,
    )
    if tracking.denied is not None:  # a wrong team login: stop before any spending
        journal.finish_sweep(sweep_id, "failed")
        raise tracking.denied
    ctx = SweepContext(
        home=home,
        journal=journal,
        tracking=tracking,
        sweep_id=sweep_id,
        budget_usd=budget,
        project_budget_usd=project.budget_usd,
        prompt_file=_relative(project.path),
        git_commit=git.commit,
        git_dirty=git.dirty if git.commit is not None else None,
        retry_failed=spec.retry_failed,
        stop=threading.Event(),
    )
    follow = Follow.of(spec)
    outcomes, interrupted = _execute(
        planned, ctx, spec.concurrency, progress, on_outcome, states, follow
    )
    spend = sum(o.cost_usd for o in outcomes if o.status != TakeStatus.CACHED)
    sweep_run_id = tracking.sweep_run_id
    if tracking.warning:
        warnings.append(tracking.warning)
    experiment = tracking.experiment_id
    result = SweepResult(
        project=project.project,
        sweep_id=sweep_id,
        sweep_run_id=sweep_run_id,
        outcomes=outcomes,
        spend_usd=spend,
        budget_usd=budget,
        warnings=warnings + ctx.notes + (["the sweep was interrupted"] if interrupted else []),
        experiment_id=experiment,
        link=None
        if tracking.experiment_id is None
        else run_link(tracking.experiment_id, sweep_run_id),
        interrupted=interrupted,
        artifact_uri=tracking.artifact_uri,
    )
    # MLflow first: a process killed in between leaves the journal saying "running", and
    # the next start closes the run only if MLflow still has it running.
    if ctx.tracker is not None and sweep_run_id is not None:
        _finish_tracking(ctx.tracker, result, home, journal)
    journal.finish_sweep(sweep_id, "interrupted" if interrupted else "finished")
    if interrupted:
        # Say what happened; the caller (notebook or CLI) decides how to end.
        print(f"interrupted: {result.describe()}. Submitted takes stay resumable: rerun to finish.")
    return result


def _close_run(home: Home, sweep_id: str, run_id: str | None) -> bool:
    try:
        Tracker(home).fail_sweep_runs(sweep_id, run_id)
    except Exception as exc:  # MLflow down: retried on a later start
        log.warning("could not mark sweep %s failed in MLflow: %s", sweep_id, scrub(exc))
        return False
    return True


def _relative(path: Path) -> str:
    """The project file as the take records it: relative to the repository (or the current
    directory), so the same file reads the same from a notebook and from the shell."""
    for root in (repo_root(), Path.cwd()):
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


def _execute(
    planned: list[PlannedTake],
    ctx: SweepContext,
    concurrency: int,
    progress: bool,
    on_outcome: Callable[[Outcome], None] | None,
    states: Callable[[], dict[str, int]] | None = None,
    follow: Follow | None = None,
) -> tuple[list[Outcome], bool]:
    """Run takes on a thread pool; Ctrl-C (or the follower's stop file) stops new
    submissions and waits for the rest."""
    follow = follow or Follow()
    bar = SweepProgress(len(planned), progress, follow.progress_file)
    results: dict[int, Outcome] = {}
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="take")
    try:
        futures: dict[Future[Outcome], int] = {
            pool.submit(run_take, p, ctx): i for i, p in enumerate(planned)
        }
        pending = set(futures)
        while pending:
            try:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                interrupted = True
                assert ctx.stop is not None
                ctx.stop.set()
                log.warning("interrupted: no new takes are submitted; waiting for running ones")
                continue
            if states is not None:
                bar.states(states())
            if not interrupted and follow.stop_asked():
                interrupted = True
                assert ctx.stop is not None
                ctx.stop.set()
            for fut in done:
                outcome = _result(fut, planned[futures[fut]])
                results[futures[fut]] = outcome
                bar.update(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
    finally:
        pool.shutdown(wait=True)
        bar.close()
    return [results[i] for i in sorted(results)], interrupted


def _result(fut: Future[Outcome], planned: PlannedTake) -> Outcome:
    """A take's outcome; a bug in one take is reported on it and never stops the others."""
    try:
        return fut.result()
    except Exception as exc:
        req = planned.request
        log.error(
            "take %s failed unexpectedly: %s: %s", req.take_id, type(exc).__name__, scrub(exc)
        )
        return Outcome.unrun(req, TakeStatus.ERROR, f"{type(exc).__name__}: {exc}")


def _finish_tracking(tracker: Tracker, result: SweepResult, home: Home, journal: Journal) -> None:
    assert result.sweep_run_id is not None
    csv = home.tmp / result.sweep_id / "takes.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    try:
        link_take_runs(result, journal)
        result.summary.to_csv(csv, index=False)
        tracker.finish_sweep(
            result.sweep_run_id,
            metrics=result.metrics,
            artifacts=[csv],
            status="KILLED" if result.interrupted else "FINISHED",
            tags=cached_tags(result),
        )
    except Exception as exc:
        log.warning("could not finish the sweep run in MLflow: %s", scrub(exc))
    finally:
        csv.unlink(missing_ok=True)
        csv.parent.rmdir()
