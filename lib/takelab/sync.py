"""`takelab sync`: log to MLflow what the journal has and MLflow has not seen."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from takelab.home import Home
from takelab.journal import Journal
from takelab.mlflow_store import TrackingStoreError
from takelab.review import mirror_verdict
from takelab.tracking import Tracker


@dataclass
class SyncReport:
    takes_logged: int = 0
    verdicts_logged: int = 0
    errors: list[str] = field(default_factory=list)


def sync(home: Home | None = None) -> SyncReport:
    """Log unlogged takes (with their latest verdict) and unlogged verdicts."""
    home = home or Home.from_env()
    journal = Journal(home.journal_url)
    tracker = Tracker(home)
    report = SyncReport()
    try:
        _ = tracker.client
    except TrackingStoreError:
        raise  # a damaged store: one clear error naming the file and `takelab doctor`
    except Exception:
        pass  # unreachable: each take below reports it
    latest = journal.latest_verdicts()
    for record in journal.takes():
        if record.logged or record.state.active:
            continue
        if not journal.claim_logging(record.take_id):  # a running sweep logs it itself
            continue
        take_dir = Path(record.path).parent if record.path else None
        try:
            run_id = tracker.log_take(
                record,
                take_dir=take_dir,
                verdict=latest.get(record.take_id),
                bind=functools.partial(journal.bind_run, record.take_id),
            )
        except Exception as exc:
            report.errors.append(f"{record.take_id}: {exc}")
            continue
        journal.mark_logged(record.take_id, run_id)
        report.takes_logged += 1
    for verdict in journal.verdicts():
        if verdict.logged:
            continue
        owner = journal.get(verdict.take_id)
        if owner is None:
            continue
        if mirror_verdict(journal, tracker, owner, verdict):
            report.verdicts_logged += 1
        else:
            report.errors.append(f"verdict {verdict.id} of {verdict.take_id}: MLflow unreachable")
    return report
