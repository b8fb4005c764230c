"""What every part of the Journal stands on: its database, its owner, and reading and
writing one take's row. Claims, recovery, verdicts, sweeps and preferences build on it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from takelab.backends import TakeRequest
from takelab.errors import TakeNotFoundError
from takelab.journal.db import Conn, is_url, open_db
from takelab.journal.owners import current_owner
from takelab.journal.schema import TakeRecord, TakeState
from takelab.scrub import scrub

_BY_ID = "SELECT * FROM takes WHERE take_id = ?"


def where(**filters: Any) -> tuple[str, list[Any]]:
    """` AND col = ?` clauses for the filters that are not None, and their arguments:
    appended to a query that ends in `WHERE 1=1`."""
    sql, args = "", []
    for column, value in filters.items():
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    return sql, args


def in_list(values: Sequence[Any]) -> str:
    """`(?,?,...)` for an `IN` with one placeholder per value."""
    return f"({','.join('?' * len(values))})"


def take_row(request: TakeRequest, take_id: str | None = None, **values: Any) -> dict[str, Any]:
    """A `takes` row for `request`: the columns it determines, then `values` (which win),
    with both timestamps set to now unless given."""
    now = time.time()
    return {
        "take_id": take_id or request.take_id,
        "project": request.project,
        "shot": request.shot,
        "variant": request.variant,
        "backend": request.backend,
        "model": request.model,
        "seed": request.seed,
        "request_json": request.model_dump_json(),
        "created_at": now,
        "updated_at": now,
        **values,
    }


def insert(conn: Conn, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> None:
    """Insert one row (skipped when its key exists, with `or_ignore`)."""
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    conn.execute(
        f"{verb} INTO {table} ({','.join(row)}) VALUES {in_list(list(row))}", list(row.values())
    )


class JournalBase:
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
            row = conn.execute(_BY_ID, (take_id,)).fetchone()
        return self._record(row) if row else None

    def get_in(self, conn: Conn, take_id: str) -> TakeRecord:
        """The take with this id, read inside an open transaction."""
        return self._record(conn.execute(_BY_ID, (take_id,)).fetchone())

    def _mine(self, rec: TakeRecord) -> bool:
        """Whether this login may change the take (a team member only their own)."""
        return not self.db.restricted or rec.member == self.member

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

    def _mark_logged(self, table: str, ids: Sequence[int]) -> None:
        """Mark rows of `table` (verdicts, preferences) as seen by MLflow."""
        if not ids:
            return
        with self._connect(write=True) as conn:
            conn.execute(f"UPDATE {table} SET logged = 1 WHERE id IN {in_list(ids)}", list(ids))


__all__ = ["JournalBase", "in_list", "insert", "take_row", "where"]
