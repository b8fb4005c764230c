"""The money path: claiming a take (reuse, resume, restart or reserve its price within the
sweep's, the project's and the team's budget) and the spend that decides it.

Every claim is one short IMMEDIATE transaction, so concurrent threads and processes see a
consistent budget.
"""

from __future__ import annotations

import time
from typing import Any

from takelab.backends import TakeRequest
from takelab.journal.base import JournalBase, insert, take_row, where
from takelab.journal.db import Conn
from takelab.journal.owners import owner_alive
from takelab.journal.schema import HOLDING, Claim, ClaimResult, TakeRecord, TakeState


def _restartable(rec: TakeRecord, owner: str) -> bool:
    """Whether a local backend's take is run again from the start: left uncertain, or
    active in a process that is gone (a job still running in this very process, such as
    a local model's worker thread, is resumed instead)."""
    if rec.state is TakeState.UNCERTAIN:
        return True
    if not rec.state.active:
        return False
    return rec.owner != owner or rec.state is not TakeState.SUBMITTED


def spent_in(conn: Conn, *, project: str | None = None, sweep_id: str | None = None) -> float:
    """Charges booked (append-only) plus the money held by takes in flight."""
    sql, args = where(project=project, sweep_id=sweep_id)
    total = (
        f"SELECT (SELECT COALESCE(SUM(amount_usd), 0) FROM charges WHERE 1=1{sql})"
        f" + (SELECT COALESCE(SUM(reserved_usd), 0) FROM takes WHERE 1=1{sql})"
    )
    return float(conn.execute(total, args + args).fetchone()[0])


def team_budget_in(conn: Conn, project: str) -> float | None:
    """The project's budget on the team server, read inside an open transaction."""
    row = conn.execute("SELECT budget_usd FROM budgets WHERE project = ?", (project,)).fetchone()
    return None if row is None else float(row[0])


class Claims(JournalBase):
    """Mixed into Journal: the spend and the claim of a take."""

    def spent(self, *, project: str | None = None, sweep_id: str | None = None) -> float:
        """Money spent or held: actual costs plus reservations not yet settled."""
        with self._connect() as conn:
            return spent_in(conn, project=project, sweep_id=sweep_id)

    def team_budget(self, project: str) -> float | None:
        """The project's budget set on the team server (`takelab team budget`), if any."""
        with self._connect() as conn:
            return team_budget_in(conn, project)

    def claim(
        self,
        request: TakeRequest,
        price_usd: float,
        *,
        sweep_id: str,
        sweep_budget_usd: float | None = None,
        project_budget_usd: float | None = None,
        retry_failed: bool = False,
        meta: dict[str, Any] | None = None,
        local: bool = False,
    ) -> ClaimResult:
        """Decide in one transaction what to do with a take, reserving its price if new.

        A finished take is reused; a submitted one is resumed by its job id; a new one
        is reserved only if its worst-case price fits both the sweep's and the project's
        budget, else it is recorded as over-budget. A `local` backend's take (it ran in
        a process, not at a provider) whose process is gone, or that was left uncertain,
        is run again from the start (`RESTART`): nothing was paid and nothing runs
        elsewhere, so there is nothing to lose by doing it again.
        """
        take_id = request.take_id
        meta = meta or {}
        with self._connect(write=True) as conn:
            row = conn.execute("SELECT * FROM takes WHERE take_id = ?", (take_id,)).fetchone()
            restart = False
            if row is not None:
                rec = self._record(row)
                taken = self._taken(rec)
                if taken is not None:
                    return taken
                restart = local and _restartable(rec, self.owner)
                if not restart:
                    known = self._known(conn, rec, retry_failed)
                    if known is not None:
                        return known
            # New, over-budget before, failed (retrying), reserved by a dead owner, or a
            # local take restarted.
            held = float(row["reserved_usd"]) if row is not None and row["state"] in HOLDING else 0
            fits = price_usd <= 0 or self._fits(
                conn,
                request.project,
                price_usd - held,
                sweep_id,
                sweep_budget_usd,
                project_budget_usd,
            )
            values = take_row(
                request,
                state=str(TakeState.RESERVED if fits else TakeState.OVER_BUDGET),
                reserved_usd=price_usd if fits else 0.0,
                sweep_id=sweep_id,
                owner=self.owner,
                member=self.member,
                lint=",".join(meta.get("lint", [])),
                prompt_file=meta.get("prompt_file"),
                git_commit=meta.get("git_commit"),
                git_dirty=None if meta.get("git_dirty") is None else int(meta["git_dirty"]),
                sweep_run_id=meta.get("sweep_run_id"),
            )
            if row is None:
                insert(conn, "takes", values)
            else:
                values.pop("created_at")
                values.update(error_code=None, error_message=None, job_id=None, cost_usd=None)
                sets = ",".join(f"{k} = ?" for k in values)
                conn.execute(
                    f"UPDATE takes SET {sets} WHERE take_id = ?", [*values.values(), take_id]
                )
            rec = self.get_in(conn, take_id)
        if not fits:
            return ClaimResult(Claim.OVER_BUDGET, rec)
        return ClaimResult(Claim.RESTART if restart else Claim.NEW, rec)

    def _taken(self, rec: TakeRecord) -> ClaimResult | None:
        """A known take this claim may not touch: done (reused) or busy elsewhere."""
        if rec.state is TakeState.DONE:
            return ClaimResult(Claim.CACHED, rec)
        if not self._mine(rec):  # another member's: theirs to resume or retry
            return ClaimResult(Claim.BUSY, rec)
        if rec.state.active and rec.owner != self.owner and owner_alive(rec.owner):
            return ClaimResult(Claim.BUSY, rec)
        return None

    def _known(self, conn: Conn, rec: TakeRecord, retry_failed: bool) -> ClaimResult | None:
        """The claim of a known take of ours, unless it is to be reserved anew (None):
        submitted (resumed here), died while submitting, or settled."""
        now = time.time()
        if rec.state is TakeState.SUBMITTED:
            conn.execute(
                "UPDATE takes SET owner = ?, updated_at = ? WHERE take_id = ?",
                (self.owner, now, rec.take_id),
            )
            return ClaimResult(Claim.RESUME, rec.model_copy(update={"owner": self.owner}))
        if rec.state is TakeState.SUBMITTING:
            # Its owner died inside submit: the provider may have the job.
            conn.execute(
                "UPDATE takes SET state = ?, error_code = 'uncertain', error_message = ?,"
                " updated_at = ? WHERE take_id = ?",
                (
                    TakeState.UNCERTAIN,
                    "the process died while submitting; the job may exist",
                    now,
                    rec.take_id,
                ),
            )
            return ClaimResult(Claim.SETTLED, self.get_in(conn, rec.take_id))
        if rec.state in (TakeState.UNCERTAIN, TakeState.BLOCKED) or (
            rec.state is TakeState.FAILED and not retry_failed
        ):
            return ClaimResult(Claim.SETTLED, rec)
        return None

    def _fits(
        self,
        conn: Conn,
        project: str,
        extra_usd: float,
        sweep_id: str,
        sweep_budget_usd: float | None,
        project_budget_usd: float | None,
    ) -> bool:
        """Whether `extra_usd` more fits the sweep's and the project's budget. The team's
        budget on the server caps the file's; a member's login without one spends nothing
        (the database refuses it too: journal/guard.py)."""
        team = team_budget_in(conn, project)
        if team is None and self.db.restricted:
            team = 0.0
        if team is not None:
            project_budget_usd = (
                team if project_budget_usd is None else min(team, project_budget_usd)
            )
        for budget, scope in (
            (sweep_budget_usd, {"sweep_id": sweep_id}),
            (project_budget_usd, {"project": project}),
        ):
            if budget is not None and spent_in(conn, **scope) + extra_usd > budget + 1e-9:
                return False
        return True


__all__ = ["Claims", "spent_in", "team_budget_in"]
