"""`takelab doctor` on broken state: a damaged journal and job ids the journal lost.

Kept apart from doctor.py's store checks so that each reads alone:
- `check_journal`: SQLite's integrity check on the local journal; a damaged file is moved
  aside (with its -wal and -shm) and a new journal is rebuilt from what survives outside
  it: each take folder's `request.json` and `take.mp4`, and MLflow's take runs (status,
  cost, error, verdict). What cannot be rebuilt is reported.
- `import_lost_jobs`: job ids saved in `lost-jobs.jsonl` when the journal could not record
  them (lost_jobs.py) are attached to their takes, so the next sweep resumes the jobs.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from takelab.backends import TakeRequest
from takelab.home import Home
from takelab.journal import lost_jobs
from takelab.journal.store import Journal, TakeState
from takelab.scrub import scrub
from takelab.sweep.take import sha256_file

if TYPE_CHECKING:
    from takelab.doctor.diagnose import Report

# MLflow's `takelab.status` values that are settled states the journal can hold again.
SETTLED = {"failed": TakeState.FAILED, "blocked": TakeState.BLOCKED}
NOT_FROM_FILES = (
    "not recoverable from files: takes in flight when it broke (their job ids were only in"
    " the journal: check each provider's dashboard, then `takelab resolve`), the sweep"
    " history, and reservations"
)


def integrity_problem(path: Path) -> str | None:
    """None if the SQLite file at `path` passes `PRAGMA integrity_check`, else why not."""
    try:
        conn = sqlite3.connect(path, timeout=30.0)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None  # in use by a sweep: not damage
        return str(exc)
    except sqlite3.DatabaseError as exc:
        return str(exc) or type(exc).__name__
    finally:
        conn.close()
    if rows == [("ok",)]:
        return None
    return "; ".join(str(r[0]) for r in rows[:3])


def move_aside(path: Path) -> Path:
    """Rename the journal and its WAL files to `<name>.damaged-<time>`; the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = path.with_name(path.name + suffix)
        if src.exists():
            src.rename(aside.with_name(aside.name + suffix))
    return aside


def check_journal(home: Home, report: Report, repair: bool) -> bool:
    """Check the local journal's integrity; with `repair`, move a damaged one aside and
    rebuild. False when doctor cannot go on (damaged, and not repaired)."""
    if home.shared_journal or not home.journal.exists():
        return True
    why = integrity_problem(home.journal)
    if why is None:
        return True
    problem = report.add("damaged-journal", str(home.journal), f"integrity check: {why}")
    if not repair:
        return False
    aside = move_aside(home.journal)
    problem.detail += f"; moved aside to {aside.name}; {NOT_FROM_FILES}"
    problem.repaired = True
    rebuild(home, report)
    return True


def rebuild(home: Home, report: Report) -> None:
    """Fill a fresh journal from the take folders, then from MLflow's take runs."""
    journal = Journal(home.journal)
    runs: dict[str, Any] = {}
    projects: dict[str, str] = {}
    try:
        runs, projects = _take_runs(home)
    except Exception as exc:  # MLflow unreachable: folders only
        report.add("not-recovered", home.tracking_uri, f"MLflow unreadable ({scrub(exc)})")
    restored = 0
    for folder in sorted(p for p in home.takes.glob("*") if p.is_dir()):
        if _from_folder(folder, journal, runs.get(folder.name), report):
            restored += 1
    for take_id, run in runs.items():
        project = projects.get(take_id, "")
        if journal.get(take_id) is None and _from_run(take_id, run, project, journal, report):
            restored += 1
    verdicts = 0
    for take_id, run in runs.items():
        verdicts += _verdict_from_run(take_id, run, journal)
    report.add(
        "rebuilt-journal",
        str(home.journal),
        f"{restored} takes and {verdicts} verdicts rebuilt from take folders and MLflow",
    ).repaired = True


def _take_runs(home: Home) -> tuple[dict[str, Any], dict[str, str]]:
    """Take runs by take id, and each take's project (its experiment's name)."""
    from takelab.tracking.tracker import Tracker

    client = Tracker(home).client
    runs: dict[str, Any] = {}
    projects: dict[str, str] = {}
    for exp in client.search_experiments():
        for run in client.search_runs(
            [exp.experiment_id], "tags.`takelab.kind` = 'take'", max_results=50_000
        ):
            take_id = run.data.tags.get("takelab.take_id", "")
            if take_id and take_id not in runs:
                runs[take_id], projects[take_id] = run, str(exp.name)
    return runs, projects


def _insert(journal: Journal, request: TakeRequest, take_id: str, **values: Any) -> None:
    now = time.time()
    row = {
        "take_id": take_id,
        "project": request.project,
        "shot": request.shot,
        "variant": request.variant,
        "backend": request.backend,
        "model": request.model,
        "seed": request.seed,
        "request_json": request.model_dump_json(),
        "created_at": now,
        "updated_at": now,
        **values,
    }
    with journal._connect(write=True) as conn:
        cols = ",".join(row)
        conn.execute(
            f"INSERT OR IGNORE INTO takes ({cols}) VALUES ({','.join('?' * len(row))})",
            list(row.values()),
        )


def _from_folder(folder: Path, journal: Journal, run: Any, report: Report) -> bool:
    """A finished take from its folder: request.json and a take.mp4."""
    request_file, video = folder / "request.json", folder / "take.mp4"
    if not request_file.is_file() or not video.is_file():
        missing = "request.json" if not request_file.is_file() else "take.mp4"
        report.add("not-recovered", str(folder), f"the take folder has no {missing}")
        return False
    try:
        data = json.loads(request_file.read_text())
        data.pop("take_id", None)
        request = TakeRequest.model_validate(data)
    except (OSError, ValueError) as exc:
        report.add("not-recovered", str(folder), f"request.json is unreadable ({scrub(exc)})")
        return False
    if request.take_id != folder.name:
        report.add("not-recovered", str(folder), "request.json does not match the folder's id")
        return False
    cost = _run_cost(run)
    if cost is None:
        cost = _table_price(request)
    _insert(
        journal,
        request,
        request.take_id,
        state=str(TakeState.DONE),
        cost_usd=cost,
        path=str(video),
        sha256=sha256_file(video),
        run_id=run.info.run_id if run is not None else None,
        logged=1 if run is not None else 0,
        sweep_run_id=(run.data.tags.get("takelab.sweep") or None) if run is not None else None,
    )
    return True


def _from_run(take_id: str, run: Any, project: str, journal: Journal, report: Report) -> bool:
    """A failed or blocked take from its MLflow run (done ones are doctor's run-without-take
    repair, which also restores their files)."""
    status = run.data.tags.get("takelab.status", "")
    if status == "done":
        return False
    state = SETTLED.get(status)
    request = _request_from_params(run, project)
    if state is None or request is None or request.take_id != take_id:
        report.add(
            "not-recovered",
            take_id,
            f"MLflow run {run.info.run_id} ({status or 'no status'}) does not hold enough to"
            " rebuild the take exactly",
        )
        return False
    error = run.data.tags.get("takelab.error", "")
    code, _, message = error.partition(": ")
    _insert(
        journal,
        request,
        take_id,
        state=str(state),
        cost_usd=_run_cost(run) or 0.0,
        error_code=code or None,
        error_message=message or None,
        run_id=run.info.run_id,
        logged=1,
        sweep_run_id=run.data.tags.get("takelab.sweep") or None,
    )
    return True


def _request_from_params(run: Any, project: str) -> TakeRequest | None:
    p = run.data.params
    try:
        return TakeRequest(
            project=project,
            shot=p["shot"],
            variant=p["variant"],
            prompt=p["prompt"],
            backend=p["backend"],
            model=p["model"],
            duration_s=float(p["duration_s"]),
            aspect=p["aspect"],
            resolution=p["resolution"],
            seed=int(p["seed"]),
            variant_hash=p.get("variant_hash", ""),
            image_path=None,
        )
    except (KeyError, ValueError):
        return None


def _verdict_from_run(take_id: str, run: Any, journal: Journal) -> int:
    verdict = run.data.tags.get("takelab.verdict")
    if verdict not in ("accept", "reject") or journal.get(take_id) is None:
        return 0
    reasons = [r for r in run.data.tags.get("takelab.reasons", "").split(",") if r]
    record = journal.add_verdict(take_id, verdict, reasons, run.data.tags.get("takelab.note", ""))
    journal.mark_verdicts_logged([record.id])  # MLflow has it already
    return 1


def _run_cost(run: Any) -> float | None:
    if run is None:
        return None
    value = run.data.metrics.get("cost_usd")
    return float(value) if value is not None else None


def _table_price(request: TakeRequest) -> float:
    from takelab.backends import get_backend

    try:
        return float(get_backend(request.backend_spec).price(request))
    except Exception:
        return 0.0


# -- job ids the journal could not record ------------------------------------------------


def import_lost_jobs(home: Home, journal: Journal, report: Report, repair: bool) -> None:
    """Attach each job id in `lost-jobs.jsonl` to its take (recreating the take if the
    journal lost it), so the next sweep resumes the job instead of paying for another."""
    jobs, bad = lost_jobs.read(home)
    for where in bad:
        report.add("not-recovered", where, "a line of the lost-jobs file is unreadable")
    if not jobs:
        return
    imported = 0
    for job in jobs:
        problem = report.add(
            "lost-job-id",
            job.take_id,
            f"job {job.job_id} ({job.backend}) was created but not journalled",
        )
        if repair:
            problem.repaired = _attach(journal, job)
            imported += problem.repaired
    if repair and imported == len(jobs) and not bad:
        lost_jobs.forget(home)


def _attach(journal: Journal, job: lost_jobs.LostJob) -> bool:
    record = journal.get(job.take_id)
    if record is None:
        _insert(
            journal,
            job.request,
            job.take_id,
            state=str(TakeState.SUBMITTED),
            job_id=job.job_id,
            reserved_usd=job.reserved_usd,
        )
        return True
    if record.job_id == job.job_id:
        return True
    if record.job_id is not None or record.state not in (
        TakeState.RESERVED,
        TakeState.SUBMITTING,
        TakeState.UNCERTAIN,
    ):
        return False  # the take moved on: leave it to the user (`takelab resolve`)
    with journal._connect(write=True) as conn:
        conn.execute(
            "UPDATE takes SET state = ?, job_id = ?, error_code = NULL, error_message = NULL,"
            " updated_at = ? WHERE take_id = ?",
            (str(TakeState.SUBMITTED), job.job_id, time.time(), job.take_id),
        )
    return True


__all__ = ["check_journal", "import_lost_jobs", "integrity_problem", "move_aside", "rebuild"]
