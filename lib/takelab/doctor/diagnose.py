"""`takelab doctor`: check the store (journal vs MLflow vs files) and repair what it can.

Checks, each with its repair:
- a finished take whose file is missing, or whose sha256 differs from the journal's:
  restored from the take run's `take.mp4` artifact when that copy is intact;
- a finished take MLflow has no run for (or lost): logged again;
- a take run the journal does not know: the take is rebuilt in the journal from the run's
  `request.json`, params and metrics, and its files restored from the artifacts;
- sweeps left running by a dead process: closed as failed;
- scratch files left in `tmp/` by a killed process: removed;
- a damaged MLflow store and missing previews: doctor_crash.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from takelab.backends import TakeRequest
from takelab.doctor.crash import check_previews, check_tracking_store
from takelab.doctor.rescue import check_journal, import_lost_jobs
from takelab.home import Home
from takelab.journal.lost_jobs import fallback_path as lost_jobs_file
from takelab.journal.owners import owner_alive
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.sweep.take import sha256_file
from takelab.tracking.tracker import MEMBER_TAG, TAKE_ARTIFACTS, Tracker


@dataclass
class Problem:
    kind: str  # missing-file, sha-mismatch, take-without-run, run-without-take, ...
    subject: str  # a take id, run id or path
    detail: str
    repaired: bool = False


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    @property
    def unrepaired(self) -> list[Problem]:
        return [p for p in self.problems if not p.repaired]

    def add(self, kind: str, subject: str, detail: str) -> Problem:
        problem = Problem(kind, subject, detail)
        self.problems.append(problem)
        return problem


def doctor(home: Home | None = None, *, repair: bool = True) -> Report:
    """Check the store; with `repair`, fix every problem that can be fixed safely."""
    home = home or Home.from_env()
    report = Report()
    if not home.has_journal and not lost_jobs_file(home).exists():
        return report
    # Broken state first (doctor_rescue.py): a damaged journal, job ids it could not hold.
    if not check_journal(home, report, repair):
        return report
    journal = Journal(home.journal_url)
    import_lost_jobs(home, journal, report, repair)
    if not check_tracking_store(home, journal, report, repair):
        # A damaged store, left as it is (dry run): the checks against MLflow cannot run.
        check_previews(home, journal, report, repair)
        _clean_scratch(home, journal, report, repair)
        return report
    tracker = Tracker(home)
    tracker.check()  # comparing with an MLflow that refuses us or is down proves nothing
    _check_sweeps(journal, tracker, report, repair)
    runs = _take_runs(tracker, report)
    known = {t.take_id: t for t in journal.takes()}
    for record in known.values():
        if record.state is TakeState.DONE:
            _check_file(record, home, runs.get(record.take_id), tracker, report, repair)
        if record.state.active or (record.state is TakeState.DONE and not record.path):
            continue
        if record.take_id not in runs:
            problem = report.add(
                "take-without-run", record.take_id, "the journal has it, MLflow has no run"
            )
            # A run lost after logging is logged again; an unlogged take only if no live
            # sweep is about to log it. A team member repairs only their own takes' runs.
            mine = not journal.db.restricted or record.member == journal.member
            if repair and mine and (record.logged or journal.claim_logging(record.take_id)):
                run_id = tracker.log_take(
                    record.model_copy(update={"run_id": None}),  # its old run is gone
                    take_dir=Path(record.path).parent if record.path else None,
                    verdict=journal.latest_verdicts().get(record.take_id),
                )
                journal.mark_logged(record.take_id, run_id)
                problem.repaired = True
    for take_id, run in runs.items():
        if take_id not in known:
            problem = report.add(
                "run-without-take",
                run.info.run_id,
                f"MLflow run of take {take_id} is not journalled",
            )
            if repair and _own_run(run, journal, tracker):
                problem.repaired = _adopt(run, journal, tracker, home)
    check_previews(home, journal, report, repair)
    _clean_scratch(home, journal, report, repair)
    return report


def _own_run(run: Any, journal: Journal, tracker: Tracker) -> bool:
    """Whether this login may adopt the run's take: a team member only from their own
    experiments (MLflow tags each with its member)."""
    if not journal.db.restricted:
        return True
    exp = tracker.client.get_experiment(run.info.experiment_id)
    return bool(exp.tags.get(MEMBER_TAG) == journal.member)


def _take_runs(tracker: Tracker, report: Report) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for exp in tracker.client.search_experiments():
        for run in tracker.client.search_runs(
            [exp.experiment_id], "tags.`takelab.kind` = 'take'", max_results=50_000
        ):
            take_id = run.data.tags.get("takelab.take_id", "")
            if take_id in runs:
                report.add(
                    "duplicate-run", run.info.run_id, f"take {take_id} has more than one run"
                )
                continue
            runs[take_id] = run
    return runs


def _check_sweeps(journal: Journal, tracker: Tracker, report: Report, repair: bool) -> None:
    for sweep_id, _ in journal.dead_sweeps():
        report.add("dead-sweep", sweep_id, "left running by a process that died")
    if not repair:
        return

    def close_run(sweep_id: str, run_id: str | None) -> bool:
        tracker.fail_sweep_runs(sweep_id, run_id)
        return True

    for sweep_id, _ in journal.close_dead_sweeps(close_run):
        for p in report.problems:
            if p.kind == "dead-sweep" and p.subject == sweep_id:
                p.repaired = True


def _check_file(
    record: TakeRecord,
    home: Home,
    run: Any,
    tracker: Tracker,
    report: Report,
    repair: bool,
) -> None:
    path = Path(record.path) if record.path else home.take_dir(record.take_id) / "take.mp4"
    if home.shared_journal:
        # A team's takes were made on many machines: only this machine's copies are
        # checked; one made elsewhere is fetched from MLflow when it is needed.
        path = home.take_dir(record.take_id) / "take.mp4"
        if not path.exists():
            return
    if not path.exists():
        problem = report.add("missing-file", record.take_id, f"{path} does not exist")
    elif record.sha256 and sha256_file(path) != record.sha256:
        problem = report.add("sha-mismatch", record.take_id, f"{path} differs from the journal")
    else:
        return
    if repair and run is not None:
        problem.repaired = _restore(run.info.run_id, path.parent, record.sha256, tracker)


def _restore(run_id: str, folder: Path, sha256: str | None, tracker: Tracker) -> bool:
    """Copy a take's artifacts back into its folder if the video's checksum matches."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = Path(tracker.client.download_artifacts(run_id, "", tmp))
        except Exception:
            return False
        video = local / "take.mp4"
        if not video.exists() or (sha256 and sha256_file(video) != sha256):
            return False
        folder.mkdir(parents=True, exist_ok=True)
        for name in TAKE_ARTIFACTS:
            if (local / name).exists():
                shutil.copy2(local / name, folder / name)
    return True


def _adopt(run: Any, journal: Journal, tracker: Tracker, home: Home) -> bool:
    """Rebuild a lost journal row from a take run's request.json and files."""
    run_id = run.info.run_id
    with tempfile.TemporaryDirectory() as tmp:
        try:
            request_file = tracker.client.download_artifacts(run_id, "request.json", tmp)
        except Exception:
            return False
        data = json.loads(Path(request_file).read_text())
    data.pop("take_id", None)
    request = TakeRequest.model_validate(data)
    status = run.data.tags.get("takelab.status", "")
    if status != "done":
        return False
    folder = home.take_dir(request.take_id)
    video = folder / "take.mp4"
    if not video.exists() and not _restore(run_id, folder, None, tracker):
        return False
    cost = float(run.data.metrics.get("cost_usd", 0.0))
    journal.adopt(
        request,
        path=str(video),
        sha256=sha256_file(video),
        cost_usd=cost,
        run_id=run_id,
        sweep_run_id=run.data.tags.get("takelab.sweep") or None,
    )
    return True


def _clean_scratch(home: Home, journal: Journal, report: Report, repair: bool) -> None:
    if not home.tmp.exists():
        return
    busy = any(t.state.active and owner_alive(t.owner) for t in journal.takes())
    for path in sorted(home.tmp.glob("*.part")) + sorted(home.tmp.glob("previz/*.part")):
        problem = report.add("scratch", str(path), "left behind by an interrupted take")
        if repair and not busy:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            problem.repaired = True
