"""The journal: the ledger of takes, job ids, budget reservations and verdicts, in a
local SQLite file or a team's PostgreSQL (`journal/db.py`).

It is the source of truth for money. MLflow is a view of it that can lag behind (and
`takelab sync` catches it up); the journal never does. Every state change that
concerns money is one short IMMEDIATE transaction, so concurrent threads and
processes see a consistent budget.

`Journal` is assembled from one part per concept: `base` (the database and one take's
row), `claims` (the money path), `recovery` (resolve, doctor), `log` (verdicts and
sweeps) and `prefs` (pairwise preferences). This module holds reading takes and the
steps of a take's life between its claim and its MLflow run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from takelab.errors import TakeNotFoundError
from takelab.journal.base import in_list, where
from takelab.journal.claims import Claims
from takelab.journal.log import VerdictsAndSweeps
from takelab.journal.prefs import Preferences
from takelab.journal.recovery import Recovery

# Callers import the records with the Journal from here (`as` marks a re-export).
from takelab.journal.schema import Claim as Claim
from takelab.journal.schema import ClaimResult as ClaimResult
from takelab.journal.schema import PreferenceRecord as PreferenceRecord
from takelab.journal.schema import TakeRecord as TakeRecord
from takelab.journal.schema import TakeState as TakeState
from takelab.journal.schema import VerdictRecord as VerdictRecord


class Journal(Claims, Recovery, VerdictsAndSweeps, Preferences):
    """The ledger at `location`: a SQLite file path (WAL mode), or a PostgreSQL URL that a
    team shares (`TAKELAB_JOURNAL_URL`). One transaction per operation; thread-safe."""

    # -- reading -------------------------------------------------------------------------

    def find(self, prefix: str) -> TakeRecord:
        """The one take whose id starts with `prefix` (as typed by a user)."""
        prefix = prefix.strip().lower()
        if not prefix or not all(c in "0123456789abcdef" for c in prefix):
            raise TakeNotFoundError(prefix)
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM takes WHERE take_id LIKE ? LIMIT 2", (prefix + "%",)
            ).fetchall()
        if len(rows) != 1:
            raise TakeNotFoundError(prefix, matches=len(rows))
        return self._record(rows[0])

    def takes(
        self,
        *,
        project: str | None = None,
        sweep_id: str | None = None,
        states: Sequence[TakeState] | None = None,
    ) -> list[TakeRecord]:
        """Takes, oldest first, filtered by project, sweep and state."""
        sql, args = where(project=project or None, sweep_id=sweep_id or None)
        if states:
            sql += f" AND state IN {in_list(states)}"
            args.extend(str(s) for s in states)
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM takes WHERE 1=1{sql} ORDER BY created_at, take_id", args
            ).fetchall()
        return [self._record(r) for r in rows]

    def projects(self) -> list[str]:
        """The projects that have takes, by name."""
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT project FROM takes ORDER BY project").fetchall()
        return [r[0] for r in rows]

    # -- a take's life between claim and run ---------------------------------------------

    def mark_submitting(self, take_id: str) -> None:
        """Written just before the create call, so a crash inside it is known as uncertain."""
        self._update(take_id, state=str(TakeState.SUBMITTING), submitted_at=time.time())

    def record_job(self, take_id: str, job_id: str) -> None:
        """Store the provider's job id: the first thing done after submit returns."""
        self._update(
            take_id,
            state=str(TakeState.SUBMITTED),
            job_id=job_id,
            error_code=None,
            error_message=None,
        )

    def mark_uncertain(self, take_id: str, message: str) -> None:
        """The create call failed after it may have reached the provider; money stays held."""
        self._update(
            take_id, state=str(TakeState.UNCERTAIN), error_code="uncertain", error_message=message
        )

    def settle(
        self,
        take_id: str,
        state: TakeState,
        *,
        cost_usd: float,
        path: str | None = None,
        sha256: str | None = None,
        latency_s: float | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        metrics: dict[str, float] | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        """Record how a take ended and its actual cost, releasing its reservation."""
        self._update(
            take_id,
            state=str(state),
            cost_usd=cost_usd,
            reserved_usd=0.0,
            path=path,
            sha256=sha256,
            latency_s=latency_s,
            error_code=error_code,
            error_message=error_message,
            metrics_json=json.dumps(metrics or {}, sort_keys=True),
            flags=",".join(flags),
        )

    def release(self, take_id: str, *, submitting: bool = False) -> None:
        """Give back a reservation that was never submitted (e.g. interrupted before submit);
        with `submitting`, also one whose local backend was interrupted while generating."""
        with self._connect(write=True) as conn:
            self._forget(conn, take_id, TakeState.RESERVED)
            if submitting:
                self._forget(conn, take_id, TakeState.SUBMITTING)

    def bind_run(self, take_id: str, run_id: str) -> str:
        """Make `run_id` the take's MLflow run unless another process bound one first;
        return the take's run. Two clients logging the same take meet here, not in MLflow."""
        with self._connect(write=True) as conn:
            conn.execute(
                "UPDATE takes SET run_id = ? WHERE take_id = ? AND run_id IS NULL",
                (run_id, take_id),
            )
            row = conn.execute("SELECT run_id FROM takes WHERE take_id = ?", (take_id,)).fetchone()
        return str(row[0]) if row is not None and row[0] else run_id

    def mark_logged(self, take_id: str, run_id: str) -> None:
        self._update(take_id, logged=1, run_id=run_id)
