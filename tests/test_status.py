"""One status vocabulary: the journal, the provider's job, MLflow's tag and a sweep's
outcomes all speak TakeStatus, with the same strings as before, and the journal only
makes the moves that status.TRANSITIONS documents."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

from takelab.backends import JobState
from takelab.journal.store import Claim, Journal, TakeState
from takelab.status import (
    JOB,
    JOURNAL,
    OUTCOME,
    TAG,
    TRANSITIONS,
    VERDICTS,
    TakeStatus,
    allowed,
    tag_status,
)
from takelab.tracking.tracker import take_status
from test_journal import req

TRIGGERS = """
CREATE TABLE moves (before TEXT, after TEXT);
CREATE TRIGGER moves_insert AFTER INSERT ON takes
  BEGIN INSERT INTO moves VALUES (NULL, NEW.state); END;
CREATE TRIGGER moves_update AFTER UPDATE OF state ON takes WHEN OLD.state IS NOT NEW.state
  BEGIN INSERT INTO moves VALUES (OLD.state, NEW.state); END;
CREATE TRIGGER moves_delete AFTER DELETE ON takes
  BEGIN INSERT INTO moves VALUES (OLD.state, NULL); END;
"""


def test_the_stored_strings_are_unchanged() -> None:
    assert {str(s) for s in JOURNAL} == {
        "reserved", "submitting", "submitted", "done", "failed", "blocked", "over-budget",
        "uncertain",
    }  # fmt: skip
    assert {str(s) for s in JOB} == {"queued", "running", "succeeded", "failed", "blocked"}
    assert JobState is TakeStatus and TakeState is TakeStatus
    assert {str(s) for s in TAG} == {str(s) for s in JOURNAL} - {
        "reserved", "submitting", "submitted",
    } | {"running"}  # fmt: skip
    assert take_status(TakeState.SUBMITTED) == "running" and take_status(TakeState.DONE) == "done"
    assert OUTCOME >= JOURNAL and "cached" in OUTCOME and "not-started" in OUTCOME
    assert VERDICTS == ("accept", "reject")
    assert all(tag_status(s) in TAG for s in JOURNAL)


def test_every_journal_state_has_documented_moves() -> None:
    assert set(TRANSITIONS) - {None} == set(JOURNAL)
    assert not allowed(TakeStatus.DONE, TakeStatus.RESERVED)
    assert not allowed(TakeStatus.SUBMITTED, TakeStatus.SUBMITTING)
    import takelab.status

    doc = takelab.status.__doc__ or ""
    for state in JOURNAL:
        assert f"| {state}" in doc, state


def test_the_journal_makes_only_documented_moves(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    j = Journal(db)
    with sqlite3.connect(db) as conn:
        conn.executescript(TRIGGERS)

    def dead_owner() -> None:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE takes SET owner = ?", (f"{socket.gethostname()}:999999:0",))

    # A take that runs to the end, then is cached.
    a = req(1)
    assert j.claim(a, 0.1, sweep_id="s").claim is Claim.NEW
    j.mark_submitting(a.take_id)
    j.record_job(a.take_id, "job-a")
    j.settle(a.take_id, TakeState.DONE, cost_usd=0.1)
    assert j.claim(a, 0.1, sweep_id="s2").claim is Claim.CACHED
    # Over budget, then admitted with more budget; refused by moderation.
    b = req(2)
    assert j.claim(b, 5.0, sweep_id="s", sweep_budget_usd=1.0).claim is Claim.OVER_BUDGET
    assert j.claim(b, 0.1, sweep_id="s3", sweep_budget_usd=1.0).claim is Claim.NEW
    j.mark_submitting(b.take_id)
    j.settle(b.take_id, TakeState.BLOCKED, cost_usd=0.0)
    # Uncertain, found, failed, retried, released.
    c = req(3)
    j.claim(c, 0.1, sweep_id="s")
    j.mark_submitting(c.take_id)
    j.mark_uncertain(c.take_id, "timeout")
    j.resolve_uncertain(c.take_id, job_id="job-c", created=True)
    j.settle(c.take_id, TakeState.FAILED, cost_usd=0.1)
    assert j.claim(c, 0.1, sweep_id="s4", retry_failed=True).claim is Claim.NEW
    j.release(c.take_id)
    # A process that died while submitting: uncertain, then never created.
    d = req(4)
    j.claim(d, 0.1, sweep_id="s")
    j.mark_submitting(d.take_id)
    dead_owner()
    assert j.claim(d, 0.1, sweep_id="s5").claim is Claim.SETTLED
    j.resolve_uncertain(d.take_id, job_id=None, created=False)
    # A local take whose process died mid-take is claimed again from scratch.
    e = req(5)
    j.claim(e, 0.0, sweep_id="s", local=True)
    j.mark_submitting(e.take_id)
    dead_owner()
    j.claim(e, 0.0, sweep_id="s6", local=True)
    j.mark_submitting(e.take_id)
    j.settle(e.take_id, TakeState.DONE, cost_usd=0.0)

    with sqlite3.connect(db) as conn:
        moves = conn.execute("SELECT before, after FROM moves").fetchall()
    seen = {(b, a) for b, a in moves}
    assert len(seen) >= 12, seen  # the scenario above exercised most of the table
    for before, after in moves:
        old = None if before is None else TakeStatus(before)
        new = None if after is None else TakeStatus(after)
        assert old is None or old in JOURNAL
        assert new is None or new in JOURNAL
        assert allowed(old, new), (before, after)
