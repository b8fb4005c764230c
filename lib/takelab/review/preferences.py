"""Side-by-side preferences: "left is better", "right is better" or "same", recorded in the
journal first and mirrored to both takes' MLflow runs (`takelab sync` catches up later)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from takelab.home import Home
from takelab.journal.store import Journal, PreferenceRecord, TakeRecord
from takelab.tracking.tracker import Tracker, preference_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreferenceResult:
    take_a: TakeRecord
    take_b: TakeRecord
    preference: PreferenceRecord
    logged: bool


def record_preference(
    take_a: str,
    take_b: str,
    winner: str,
    reason: str | None = None,
    *,
    reviewer: str | None = None,
    home: Home | None = None,
) -> PreferenceResult:
    """Record a preference between two takes (ids or unique prefixes) in the journal, then
    on both takes' MLflow runs."""
    home = home or Home.from_env()
    journal = Journal(home.journal_url)
    a, b = journal.find(take_a), journal.find(take_b)
    pref_id = journal.add_preference(a.take_id, b.take_id, winner, reason, reviewer)
    pref = journal.preference(pref_id)
    logged = mirror_preference(journal, Tracker(home), pref)
    return PreferenceResult(a, b, pref, logged)


def mirror_preference(journal: Journal, tracker: Tracker, pref: PreferenceRecord) -> bool:
    """Put a preference on both takes' runs (logging a take that MLflow lacks first)."""
    try:
        runs: dict[str, str] = {}
        for take_id in (pref.take_a, pref.take_b):
            record = journal.get(take_id)
            assert record is not None  # preferences reference takes (foreign key)
            run_id = record.run_id or tracker.find_take_run(record.project, take_id)
            if run_id is None:
                run_id = tracker.log_take(record, bind=functools.partial(journal.bind_run, take_id))
                journal.mark_logged(take_id, run_id)
            runs[take_id] = run_id
        # Counts up to and including this preference, so a late sync logs the same series.
        earlier = [p for p in journal.preferences(project=pref.project) if p.id <= pref.id]
        counts = {t: preference_counts(earlier, t) for t in runs}
        tracker.log_preference(pref, runs, counts)
    except Exception as exc:  # MLflow down: the journal has it; `takelab sync` logs it
        log.warning("MLflow is unreachable (%s); run `takelab sync` later", exc)
        return False
    journal.mark_preferences_logged([pref.id])
    return True
