"""Preferences in the journal: "take A is better than take B" (or "the same"), kept beside
the takes so a ranking of versions can be fitted from them (ranking.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from takelab.errors import TakeNotFoundError, UsageError
from takelab.journal.base import JournalBase
from takelab.journal.schema import WINNERS, PreferenceRecord


class Preferences(JournalBase):
    """Mixed into Journal: pairwise judgements between two takes of one project."""

    def add_preference(
        self,
        take_a: str,
        take_b: str,
        winner: str,
        reason: str | None = None,
        reviewer: str | None = None,
    ) -> int:
        """Record that take A (`winner="a"`), take B (`"b"`) or neither (`"same"`) is the
        better clip; return the preference's id. Both ids must be full take ids of the same
        project (resolve prefixes with `Journal.find` first)."""
        winner = winner.strip().lower()
        if winner not in WINNERS:
            raise UsageError(f"winner must be a, b or same, got {winner!r}")
        if take_a == take_b:
            raise UsageError(
                f"take {take_a} was compared with itself", hint="pick two different takes"
            )
        with self._connect(write=True) as conn:
            projects: list[str] = []
            for take in (take_a, take_b):
                row = conn.execute(
                    "SELECT project FROM takes WHERE take_id = ?", (take,)
                ).fetchone()
                if row is None:
                    raise TakeNotFoundError(take)
                projects.append(str(row[0]))
            if projects[0] != projects[1]:
                raise UsageError(
                    f"take {take_a} is in {projects[0]} and take {take_b} in {projects[1]}",
                    hint="compare takes of the same project",
                )
            row = conn.execute(
                "INSERT INTO preferences (project, take_a, take_b, winner, reason, reviewer,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (projects[0], take_a, take_b, winner, reason or "", reviewer or "", time.time()),
            ).fetchone()
        return int(row[0])

    @staticmethod
    def _preference(row: Any) -> PreferenceRecord:
        data = dict(row)
        data["logged"] = bool(data["logged"])
        return PreferenceRecord.model_validate(data)

    def preferences(
        self, *, project: str | None = None, unlogged: bool = False
    ) -> list[PreferenceRecord]:
        """Preferences, oldest first (of one project; only those MLflow has not seen)."""
        sql, args = "SELECT * FROM preferences WHERE 1=1", []
        if project:
            sql += " AND project = ?"
            args.append(project)
        if unlogged:
            sql += " AND logged = 0"
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._preference(r) for r in rows]

    def preference(self, preference_id: int) -> PreferenceRecord:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM preferences WHERE id = ?", (preference_id,)
            ).fetchone()
        if row is None:
            raise UsageError(f"no preference {preference_id}")
        return self._preference(row)

    def mark_preferences_logged(self, ids: Sequence[int]) -> None:
        """Mark these preferences as logged to MLflow."""
        self._mark_logged("preferences", ids)
