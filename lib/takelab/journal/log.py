"""Verdicts and sweeps in the journal: kept beside the takes, in the same SQLite file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from takelab.errors import TakeNotFoundError
from takelab.journal.base import JournalBase
from takelab.journal.owners import owner_alive
from takelab.journal.schema import VerdictRecord


class VerdictsAndSweeps(JournalBase):
    """Mixed into Journal: the verdict history of takes and the sweeps that ran."""

    # -- verdicts ------------------------------------------------------------------------

    def add_verdict(
        self, take_id: str, verdict: str, reasons: Sequence[str] = (), note: str = ""
    ) -> VerdictRecord:
        """Append a verdict; the latest one is the take's verdict, earlier ones stay."""
        with self._connect(write=True) as conn:
            if conn.execute("SELECT 1 FROM takes WHERE take_id = ?", (take_id,)).fetchone() is None:
                raise TakeNotFoundError(take_id)
            row = conn.execute(
                "INSERT INTO verdicts (take_id, verdict, reasons, note, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING *",
                (take_id, verdict, ",".join(reasons), note, time.time()),
            ).fetchone()
        return self._verdict(row)

    @staticmethod
    def _verdict(row: Any) -> VerdictRecord:
        data = dict(row)
        data["reasons"] = [r for r in data["reasons"].split(",") if r]
        data["logged"] = bool(data["logged"])
        return VerdictRecord.model_validate(data)

    def verdicts(self, take_id: str | None = None) -> list[VerdictRecord]:
        """Verdict history, oldest first (of one take, or of all)."""
        sql, args = "SELECT * FROM verdicts", []
        if take_id:
            sql += " WHERE take_id = ?"
            args.append(take_id)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._verdict(r) for r in rows]

    def latest_verdicts(self) -> dict[str, VerdictRecord]:
        """The current verdict of every reviewed take."""
        latest: dict[str, VerdictRecord] = {}
        for v in self.verdicts():
            latest[v.take_id] = v
        return latest

    def mark_verdicts_logged(self, ids: Sequence[int]) -> None:
        """Mark these verdicts as logged to MLflow."""
        self._mark_logged("verdicts", ids)

    def forget_runs(self) -> int:
        """The MLflow store was rebuilt empty (doctor): every take, verdict and sweep is
        marked as never logged, so `sync` logs them all again. Returns the takes marked."""
        with self._connect(write=True) as conn:
            cur = conn.execute("UPDATE takes SET logged = 0, run_id = NULL, sweep_run_id = NULL")
            conn.execute("UPDATE verdicts SET logged = 0")
            conn.execute("UPDATE sweeps SET run_id = NULL")
        return int(cur.rowcount)

    # -- sweeps --------------------------------------------------------------------------

    def start_sweep(
        self, sweep_id: str, project: str, budget_usd: float | None, params: dict[str, Any]
    ) -> None:
        with self._connect(write=True) as conn:
            conn.execute(
                "INSERT INTO sweeps (sweep_id, project, budget_usd, status, params_json,"
                " started_at, owner) VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (
                    sweep_id,
                    project,
                    budget_usd,
                    json.dumps(params, default=str),
                    time.time(),
                    self.owner,
                ),
            )

    def set_sweep_run(self, sweep_id: str, run_id: str) -> None:
        with self._connect(write=True) as conn:
            conn.execute("UPDATE sweeps SET run_id = ? WHERE sweep_id = ?", (run_id, sweep_id))

    def finish_sweep(self, sweep_id: str, status: str) -> None:
        with self._connect(write=True) as conn:
            conn.execute(
                "UPDATE sweeps SET status = ?, finished_at = ? WHERE sweep_id = ?",
                (status, time.time(), sweep_id),
            )

    def sweep_run_id(self, sweep_id: str) -> str | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT run_id FROM sweeps WHERE sweep_id = ?", (sweep_id,)
            ).fetchone()
        return row[0] if row else None

    def dead_sweeps(self) -> list[tuple[str, str | None]]:
        """Sweeps marked running whose process is gone: (sweep id, MLflow run id)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT sweep_id, run_id, owner, member FROM sweeps WHERE status = 'running'"
            ).fetchall()
        return [
            (r["sweep_id"], r["run_id"])
            for r in rows
            if r["owner"] != self.owner
            and not owner_alive(r["owner"])
            and (not self.db.restricted or r["member"] == self.member)  # a member's own
        ]

    def close_dead_sweeps(
        self, close_run: Callable[[str, str | None], bool] | None = None
    ) -> list[tuple[str, str | None]]:
        """Mark sweeps whose process died while running as failed; return (sweep, run id).

        `close_run(sweep_id, run_id)` closes the sweep's MLflow run first; a sweep whose run
        could not be closed stays "running" here, so a later start tries again."""
        closed: list[tuple[str, str | None]] = []
        for sweep_id, run_id in self.dead_sweeps():
            if close_run is not None and not close_run(sweep_id, run_id):
                continue
            with self._connect(write=True) as conn:
                conn.execute(
                    "UPDATE sweeps SET status = 'failed', finished_at = ?"
                    " WHERE sweep_id = ? AND status = 'running'",
                    (time.time(), sweep_id),
                )
            closed.append((sweep_id, run_id))
        return closed
