"""Verdicts: accept or reject a take with reason tags and a note; every change is kept
in the journal and mirrored to the take's MLflow run."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches

from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal import Journal, TakeRecord, VerdictRecord
from takelab.scrub import scrub
from takelab.tracking import Tracker

log = logging.getLogger(__name__)

VERDICTS = ("accept", "reject")
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
    extra = [r.strip() for r in os.environ.get(EXTRA_REASONS_ENV, "").split(",") if r.strip()]
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
    return out


@dataclass
class VerdictResult:
    take: TakeRecord
    verdict: VerdictRecord
    logged: bool


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
    record = journal.find(take)
    saved = journal.add_verdict(record.take_id, verdict, clean, note)
    logged = mirror_verdict(journal, Tracker(home), record, saved)
    return VerdictResult(record, saved, logged)


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
        log.warning("MLflow is unreachable (%s); run `takelab sync` later", scrub(exc))
        return False
    journal.mark_verdicts_logged([verdict.id])
    return True
