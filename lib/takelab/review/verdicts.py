"""Verdicts: accept or reject a take with reason tags and a note; every change is kept
in the journal and mirrored to the take's MLflow run."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches

from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, VerdictRecord
from takelab.scrub import scrub
from takelab.settings import settings
from takelab.status import VERDICTS as STATUS_VERDICTS
from takelab.tracking.errors import refused
from takelab.tracking.tracker import Tracker

log = logging.getLogger(__name__)

VERDICTS = STATUS_VERDICTS  # accept, reject (status.Verdict)
REASON_TAGS: tuple[str, ...] = (
    "blurry",
    "warped",
    "flicker",
    "melting-face",
    "occlusion-error",
    "garbled-text",
    "static",
    "wrong-motion",
    "off-prompt",
    "artifact",
    "bias",
    "other",
)
EXTRA_REASONS_ENV = "TAKELAB_EXTRA_REASONS"


def reason_tags() -> tuple[str, ...]:
    """The fixed reason tags plus any added in TAKELAB_EXTRA_REASONS (comma list)."""
    extra = [r.strip() for r in settings().extra_reasons.split(",") if r.strip()]
    return REASON_TAGS + tuple(r for r in extra if r not in REASON_TAGS)


def check_reasons(verdict: str, reasons: Sequence[str]) -> list[str]:
    if verdict not in VERDICTS:
        raise UsageError(f"verdict must be accept or reject, got {verdict!r}")
    known = reason_tags()
    out: list[str] = []
    for r in reasons:
        r = r.strip().lower()
        if r not in known:
            close = get_close_matches(r, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(
                f"unknown reason {r!r}",
                hint=f"{hint}reasons are: {', '.join(known)} (add more in {EXTRA_REASONS_ENV})",
            )
        if r not in out:
            out.append(r)
    if verdict == "reject" and not out:
        # A rejection without a reason teaches nothing: the reasons are what Compare and
        # the learning from verdicts count.
        raise UsageError(
            "a rejection needs a reason",
            hint=f"add --reason TAG (one of: {', '.join(known)}; repeatable)",
        )
    return out


@dataclass
class VerdictResult:
    take: TakeRecord
    verdict: VerdictRecord
    logged: bool
    # On a team server, a verdict on another member's take is theirs to show on the run
    # (we may only read it): their next `takelab sync` logs it there.
    deferred_to: str | None = None


def record_verdict(
    take: str,
    verdict: str,
    reasons: Sequence[str] = (),
    note: str = "",
    *,
    home: Home | None = None,
) -> VerdictResult:
    """Record a verdict for a take (id or unique prefix) in the journal, then in MLflow."""
    home = home or Home.from_env()
    clean = check_reasons(verdict, reasons)
    journal = Journal(home.journal_url)
    tracker = Tracker(home)
    tracker.check(down_ok=True)  # a refused login stops here; a down server syncs later
    record = journal.find(take)
    saved = journal.add_verdict(record.take_id, verdict, clean, note)
    if not owns_run(journal, record):
        return VerdictResult(record, saved, False, deferred_to=record.member)
    logged = mirror_verdict(journal, tracker, record, saved)
    return VerdictResult(record, saved, logged)


def owns_run(journal: Journal, record: TakeRecord) -> bool:
    """Whether this login logs the take's run (a team member only their own takes')."""
    return not journal.db.restricted or record.member == journal.member


def mirror_verdict(
    journal: Journal, tracker: Tracker, record: TakeRecord, verdict: VerdictRecord
) -> bool:
    """Put a verdict on the take's run (creating the run if it was never logged)."""
    try:
        run_id = record.run_id or tracker.find_take_run(record.project, record.take_id)
        if run_id is None:
            run_id = tracker.log_take(
                record, verdict=verdict, bind=functools.partial(journal.bind_run, record.take_id)
            )
            journal.mark_logged(record.take_id, run_id)
        history = [v.id for v in journal.verdicts(record.take_id)]
        step = history.index(verdict.id) if verdict.id in history else len(history)
        tracker.log_verdict(run_id, verdict, step)
    except Exception as exc:  # MLflow down: the journal has it; `takelab sync` logs it
        if (denied := refused(exc)) is not None:
            log.warning("%s; the verdict is in the journal", denied.message)
        else:
            log.warning("MLflow is unreachable (%s); run `takelab sync` later", scrub(exc))
        return False
    journal.mark_verdicts_logged([verdict.id])
    return True
