"""The journal: the ledger of takes, job ids, budget reservations and verdicts, in a
local SQLite file or a team's PostgreSQL (`journal_db`).

It is the source of truth for money. MLflow is a view of it that can lag behind (and
`takelab sync` catches it up); the journal never does. Every state change that
concerns money is one short IMMEDIATE transaction, so concurrent threads and
processes see a consistent budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from takelab.backends import TakeRequest
from takelab.errors import TakelabError, TakeNotFoundError
from takelab.journal.db import Conn, is_url, open_db
from takelab.journal.log import VerdictsAndSweeps
from takelab.journal.owners import current_owner, owner_alive
from takelab.journal.prefs import Preferences
from takelab.journal.schema import (
    HOLDING,
    Claim,
    ClaimResult,
    PreferenceRecord,
    TakeRecord,
    TakeState,
    VerdictRecord,
)
from takelab.scrub import scrub

__all__ = [
    "Claim",
    "ClaimResult",
    "Journal",
    "PreferenceRecord",
    "TakeRecord",
    "TakeState",
    "VerdictRecord",
]


def _restartable(rec: TakeRecord, owner: str) -> bool:
    """Whether a local backend's take is run again from the start: left uncertain, or
    active in a process that is gone (a job still running in this very process, such as
    a local model's worker thread, is resumed instead)."""
    if rec.state is TakeState.UNCERTAIN:
        return True
    if not rec.state.active:
        return False
    return rec.owner != owner or rec.state is not TakeState.SUBMITTED


class Journal(VerdictsAndSweeps, Preferences):
    """The ledger at `location`: a SQLite file path (WAL mode), or a PostgreSQL URL that a
    team shares (`TAKELAB_JOURNAL_URL`). One transaction per operation; thread-safe."""

    def __init__(self, location: Path | str) -> None:
        self.db = open_db(location)
        self.path = Path(location) if not is_url(location) else None
        self.owner = current_owner()
        self.db.migrate()
        # A team journal's login: the member every take and verdict written here records.
        self.member = self.db.member

    def _connect(self, *, write: bool = False) -> AbstractContextManager[Conn]:
        return self.db.connect(write=write)

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def _record(row: Any) -> TakeRecord:
        data = dict(row)
        data["request"] = TakeRequest.model_validate_json(data.pop("request_json"))
        data["lint"] = [x for x in (data["lint"] or "").split(",") if x]
        data["metrics"] = json.loads(data.pop("metrics_json") or "{}")
        data["flags"] = [x for x in (data.get("flags") or "").split(",") if x]
        data["logged"] = bool(data["logged"])
        dirty = data.get("git_dirty")
        data["git_dirty"] = None if dirty is None else bool(dirty)
        return TakeRecord.model_validate(data)

    def get(self, take_id: str) -> TakeRecord | None:
        """The take with exactly this id, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM takes WHERE take_id = ?", (take_id,)).fetchone()
        return self._record(row) if row else None

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
        sql, args = "SELECT * FROM takes WHERE 1=1", []
        if project:
            sql += " AND project = ?"
            args.append(project)
        if sweep_id:
            sql += " AND sweep_id = ?"
            args.append(sweep_id)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(str(s) for s in states)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, take_id", args).fetchall()
        return [self._record(r) for r in rows]

    def projects(self) -> list[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT project FROM takes ORDER BY project").fetchall()
        return [r[0] for r in rows]

    def spent(self, *, project: str | None = None, sweep_id: str | None = None) -> float:
        """Money spent or held: actual costs plus reservations not yet settled."""
        with self._connect() as conn:
            return self._spent(conn, project=project, sweep_id=sweep_id)

    @staticmethod
    def _spent(conn: Conn, *, project: str | None = None, sweep_id: str | None = None) -> float:
        """Charges booked (append-only) plus the money held by takes in flight."""
        where, args = "", []
        if project is not None:
            where += " AND project = ?"
            args.append(project)
        if sweep_id is not None:
            where += " AND sweep_id = ?"
            args.append(sweep_id)
        sql = (
            f"SELECT (SELECT COALESCE(SUM(amount_usd), 0) FROM charges WHERE 1=1{where})"
            f" + (SELECT COALESCE(SUM(reserved_usd), 0) FROM takes WHERE 1=1{where})"
        )
        return float(conn.execute(sql, args + args).fetchone()[0])

    def team_budget(self, project: str) -> float | None:
        """The project's budget set on the team server (`takelab team budget`), if any."""
        with self._connect() as conn:
            return self._team_budget(conn, project)

    @staticmethod
    def _team_budget(conn: Conn, project: str) -> float | None:
        row = conn.execute(
            "SELECT budget_usd FROM budgets WHERE project = ?", (project,)
        ).fetchone()
        return None if row is None else float(row[0])

    def _mine(self, rec: TakeRecord) -> bool:
        """Whether this login may change the take (a team member only their own)."""
        return not self.db.restricted or rec.member == self.member

    # -- the money path ------------------------------------------------------------------

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
        now = time.time()
        meta = meta or {}
        restart = False
        with self._connect(write=True) as conn:
            row = conn.execute("SELECT * FROM takes WHERE take_id = ?", (take_id,)).fetchone()
            if row is not None:
                rec = self._record(row)
                if rec.state is TakeState.DONE:
                    return ClaimResult(Claim.CACHED, rec)
                if not self._mine(rec):  # another member's: theirs to resume or retry
                    return ClaimResult(Claim.BUSY, rec)
                if rec.state.active and rec.owner != self.owner and owner_alive(rec.owner):
                    return ClaimResult(Claim.BUSY, rec)
                restart = local and _restartable(rec, self.owner)
                if restart:
                    pass  # reserved again below, as a new take
                elif rec.state is TakeState.SUBMITTED:
                    conn.execute(
                        "UPDATE takes SET owner = ?, updated_at = ? WHERE take_id = ?",
                        (self.owner, now, take_id),
                    )
                    return ClaimResult(Claim.RESUME, rec.model_copy(update={"owner": self.owner}))
                elif rec.state is TakeState.SUBMITTING:
                    # Its owner died inside submit: the provider may have the job.
                    conn.execute(
                        "UPDATE takes SET state = ?, error_code = 'uncertain', error_message = ?,"
                        " updated_at = ? WHERE take_id = ?",
                        (
                            TakeState.UNCERTAIN,
                            "the process died while submitting; the job may exist",
                            now,
                            take_id,
                        ),
                    )
                    return ClaimResult(Claim.SETTLED, self.get_in(conn, take_id))
                elif rec.state in (TakeState.UNCERTAIN, TakeState.BLOCKED) or (
                    rec.state is TakeState.FAILED and not retry_failed
                ):
                    return ClaimResult(Claim.SETTLED, rec)
                if rec.state is TakeState.FAILED and not retry_failed:
                    return ClaimResult(Claim.SETTLED, rec)
            # New, over-budget before, failed (retrying), reserved by a dead owner, or a
            # local take restarted.
            held = float(row["reserved_usd"]) if row is not None and row["state"] in HOLDING else 0
            # The team's budget on the server caps the file's; a member's login without one
            # spends nothing (the database refuses it too: journal_guard).
            team = self._team_budget(conn, request.project)
            if team is None and self.db.restricted:
                team = 0.0
            if team is not None:
                project_budget_usd = (
                    team if project_budget_usd is None else min(team, project_budget_usd)
                )
            fits = True
            if price_usd > 0:
                for budget, scope in (
                    (sweep_budget_usd, {"sweep_id": sweep_id}),
                    (project_budget_usd, {"project": request.project}),
                ):
                    if budget is not None:
                        used = self._spent(conn, **scope) - held
                        if used + price_usd > budget + 1e-9:
                            fits = False
            state = TakeState.RESERVED if fits else TakeState.OVER_BUDGET
            reserved = price_usd if fits else 0.0
            values = {
                "take_id": take_id,
                "project": request.project,
                "shot": request.shot,
                "variant": request.variant,
                "backend": request.backend,
                "model": request.model,
                "seed": request.seed,
                "request_json": request.model_dump_json(),
                "state": str(state),
                "reserved_usd": reserved,
                "sweep_id": sweep_id,
                "owner": self.owner,
                "member": self.member,
                "lint": ",".join(meta.get("lint", [])),
                "prompt_file": meta.get("prompt_file"),
                "git_commit": meta.get("git_commit"),
                "git_dirty": None if meta.get("git_dirty") is None else int(meta["git_dirty"]),
                "sweep_run_id": meta.get("sweep_run_id"),
                "created_at": now,
                "updated_at": now,
            }
            if row is None:
                cols = ",".join(values)
                conn.execute(
                    f"INSERT INTO takes ({cols}) VALUES ({','.join('?' * len(values))})",
                    list(values.values()),
                )
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
        return ClaimResult(Claim.RESTART if row is not None and restart else Claim.NEW, rec)

    def get_in(self, conn: Conn, take_id: str) -> TakeRecord:
        row = conn.execute("SELECT * FROM takes WHERE take_id = ?", (take_id,)).fetchone()
        return self._record(row)

    def _update(self, take_id: str, **values: Any) -> None:
        for name in ("error_message", "error_code"):  # a provider's words: never store a key
            if values.get(name):
                values[name] = scrub(values[name])
        values["updated_at"] = time.time()
        sets = ",".join(f"{k} = ?" for k in values)
        with self._connect(write=True) as conn:
            cur = conn.execute(
                f"UPDATE takes SET {sets} WHERE take_id = ?", [*values.values(), take_id]
            )
            if cur.rowcount != 1:
                raise TakeNotFoundError(take_id)

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

    def _forget(self, conn: Conn, take_id: str, state: TakeState) -> None:
        """Delete a take no job was made for; a member's login asks the database's
        function (members hold no DELETE), which forgets only reserved or uncertain takes:
        a member's local take left mid-generation is restarted by its next claim instead."""
        if self.db.restricted:
            if state in (TakeState.RESERVED, TakeState.UNCERTAIN):
                conn.execute("SELECT takelab_forget(?, ?)", (take_id, str(state)))
        elif state in (TakeState.RESERVED, TakeState.SUBMITTING):
            conn.execute(
                "DELETE FROM takes WHERE take_id = ? AND state = ? AND job_id IS NULL",
                (take_id, str(state)),
            )
        else:
            conn.execute("DELETE FROM takes WHERE take_id = ? AND state = ?", (take_id, str(state)))

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

    # -- recovery ------------------------------------------------------------------------

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
        now = time.time()
        with self._connect(write=True) as conn:
            conn.execute(
                "INSERT OR IGNORE INTO takes (take_id, project, shot, variant, backend, model,"
                " seed, request_json, state, cost_usd, path, sha256, run_id, logged,"
                " sweep_run_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (
                    request.take_id,
                    request.project,
                    request.shot,
                    request.variant,
                    request.backend,
                    request.model,
                    request.seed,
                    request.model_dump_json(),
                    str(TakeState.DONE),
                    cost_usd,
                    path,
                    sha256,
                    run_id,
                    sweep_run_id,
                    now,
                    now,
                ),
            )
