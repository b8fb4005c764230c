"""Recovery in the journal: settling uncertain takes, taking over logging from a dead
process, and putting back takes that MLflow or a take folder knows and the journal lost
(`takelab resolve`, `takelab sync`, `takelab doctor`)."""

from __future__ import annotations

import time
from typing import Any

from takelab.backends import TakeRequest
from takelab.errors import TakelabError
from takelab.journal.base import JournalBase, insert, take_row
from takelab.journal.owners import owner_alive
from takelab.journal.schema import TakeRecord, TakeState


class Recovery(JournalBase):
    """Mixed into Journal: what `resolve`, `sync` and `doctor` repair with."""

    def resolve_uncertain(
        self, take_id: str, *, job_id: str | None, created: bool, abandon: bool = False
    ) -> TakeRecord:
        """Settle an uncertain take as the user found it: attach the job that exists
        (resumed by the next sweep), forget it when no job was created (its money is
        released and the next sweep submits it), or, `created` without a job id, book
        the reservation as spent."""
        with self._connect(write=True) as conn:
            rec = self.get_in(conn, take_id)
            if rec.state is not TakeState.UNCERTAIN:
                raise TakelabError(
                    f"take {take_id} is {rec.state}, not uncertain", hint="nothing to resolve"
                )
            now = time.time()
            if job_id:
                conn.execute(
                    "UPDATE takes SET state = ?, job_id = ?, error_code = NULL,"
                    " error_message = NULL, updated_at = ? WHERE take_id = ?",
                    (str(TakeState.SUBMITTED), job_id, now, take_id),
                )
            elif created:
                conn.execute(
                    "UPDATE takes SET state = ?, cost_usd = reserved_usd, reserved_usd = 0,"
                    " error_code = ?, error_message = ?, updated_at = ? WHERE take_id = ?",
                    (
                        str(TakeState.FAILED),
                        "abandoned" if abandon else "lost",
                        "abandoned by the user; its price is booked as spent in case a job was made"
                        if abandon
                        else "a job was created but its id is unknown; its price is booked"
                        " as spent",
                        now,
                        take_id,
                    ),
                )
            else:
                # Never created: forget the attempt, so the next sweep submits it afresh.
                self._forget(conn, take_id, TakeState.UNCERTAIN)
                return rec.model_copy(update={"reserved_usd": 0.0})
            return self.get_in(conn, take_id)

    def job_ids(self, *, backend: str | None = None) -> set[str]:
        """Every provider job id the journal knows (of one backend)."""
        sql, args = "SELECT job_id FROM takes WHERE job_id IS NOT NULL", []
        if backend:
            sql += " AND backend = ?"
            args.append(backend)
        with self._connect() as conn:
            return {r[0] for r in conn.execute(sql, args).fetchall()}

    def claim_logging(self, take_id: str) -> bool:
        """Take over logging a finished take to MLflow, unless it is logged already or its
        owner still runs (and will log it itself): one run per take, even across processes."""
        with self._connect(write=True) as conn:
            row = conn.execute(
                "SELECT logged, owner, member FROM takes WHERE take_id = ?", (take_id,)
            ).fetchone()
            if row is None or row["logged"]:
                return False
            if self.db.restricted and row["member"] != self.member:
                return False  # another member's run: theirs to log (we may only read it)
            if row["owner"] != self.owner and owner_alive(row["owner"]):
                return False
            conn.execute("UPDATE takes SET owner = ? WHERE take_id = ?", (self.owner, take_id))
        return True

    def restore(self, request: TakeRequest, take_id: str | None = None, **values: Any) -> None:
        """Put back a take row the journal lost, as `values` describe it (state, cost, job
        id, run...); a take the journal has meanwhile is left as it is."""
        with self._connect(write=True) as conn:
            insert(conn, "takes", take_row(request, take_id, **values), or_ignore=True)

    def adopt(
        self,
        request: TakeRequest,
        *,
        path: str,
        sha256: str,
        cost_usd: float,
        run_id: str,
        sweep_run_id: str | None,
    ) -> None:
        """Put back a finished take that MLflow knows and the journal lost (doctor)."""
        self.restore(
            request,
            state=str(TakeState.DONE),
            cost_usd=cost_usd,
            path=path,
            sha256=sha256,
            run_id=run_id,
            logged=1,
            sweep_run_id=sweep_run_id,
        )


__all__ = ["Recovery"]
