"""`takelab sync`: log to MLflow what the journal has and MLflow has not seen."""

from __future__ import annotations

from dataclasses import dataclass, field

from takelab.home import Home
from takelab.journal.store import Journal
from takelab.review.preferences import mirror_preference
from takelab.review.verdicts import mirror_verdict, owns_run
from takelab.tracking.errors import refused
from takelab.tracking.store import TrackingStoreError
from takelab.tracking.take_log import log_take
from takelab.tracking.tracker import Tracker


@dataclass
class SyncReport:
    takes_logged: int = 0
    verdicts_logged: int = 0
    preferences_logged: int = 0
    errors: list[str] = field(default_factory=list)


def sync(home: Home | None = None) -> SyncReport:
    """Log unlogged takes (with their latest verdict) and unlogged verdicts."""
    home = home or Home.from_env()
    journal = Journal(home.journal_url)
    tracker = Tracker(home)
    tracker.check()  # a wrong login or a server that is down: one error, before anything
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
        try:
            log_take(journal, tracker, record, verdict=latest.get(record.take_id))
        except Exception as exc:
            if (denied := refused(exc)) is not None:
                raise denied from None
            report.errors.append(f"{record.take_id}: {exc}")
            continue
        report.takes_logged += 1
    for verdict in journal.verdicts():
        if verdict.logged:
            continue
        owner = journal.get(verdict.take_id)
        if owner is None or not owns_run(journal, owner):
            continue  # another member's take: their sync puts our verdict on their run
        if mirror_verdict(journal, tracker, owner, verdict):
            report.verdicts_logged += 1
        else:
            report.errors.append(f"verdict {verdict.id} of {verdict.take_id}: MLflow unreachable")
    for pref in journal.preferences(unlogged=True):
        if mirror_preference(journal, tracker, pref):
            report.preferences_logged += 1
        else:
            report.errors.append(f"preference {pref.id}: MLflow unreachable")
    return report
