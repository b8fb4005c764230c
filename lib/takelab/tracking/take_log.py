"""Logging one take to MLflow: the one way every caller does it (a sweep as each take
lands, `takelab sync` for what MLflow has not seen, `takelab doctor` for a lost run)."""

from __future__ import annotations

import functools
from pathlib import Path

from takelab.journal.store import Journal, TakeRecord, VerdictRecord
from takelab.tracking.tracker import Tracker

LATEST = object()  # `verdict` default: the take's latest verdict in the journal


def log_take(
    journal: Journal,
    tracker: Tracker,
    record: TakeRecord,
    *,
    verdict: VerdictRecord | object | None = LATEST,
    lost_run: bool = False,
) -> str:
    """Create or update the take's one MLflow run (files from its take folder, its latest
    verdict), mark it logged in the journal and return the run id.

    Two processes logging the same take meet in the journal (`bind_run`), not in MLflow.
    `lost_run=True` logs a take whose journalled run is gone from MLflow into a new run.
    Errors (MLflow down, a refused login) are the caller's to report."""
    if lost_run:
        record = record.model_copy(update={"run_id": None})
    if verdict is LATEST:
        verdicts = journal.verdicts(record.take_id)
        verdict = verdicts[-1] if verdicts else None
    assert verdict is None or isinstance(verdict, VerdictRecord)
    run_id = tracker.log_take(
        record,
        take_dir=Path(record.path).parent if record.path else None,
        verdict=verdict,
        # A lost run's journal row still names the dead run: binding would return it.
        bind=None if lost_run else functools.partial(journal.bind_run, record.take_id),
    )
    journal.mark_logged(record.take_id, run_id)
    return run_id
