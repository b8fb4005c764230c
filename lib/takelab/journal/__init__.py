"""The journal: the record of every take, written before money is spent (SQLite locally,
PostgreSQL in team mode). It never imports `tracking`: takes survive an MLflow outage.

`Journal` (store) is assembled from base, claims, recovery, log (verdicts and sweeps) and
prefs (preferences); `db` is the database, `schema` its records and migrations, `guard`
what the database enforces itself, `lost_jobs` the fallback file for job ids the database
could not take, `owners` which process holds a take.
"""

from takelab.journal.db import JournalDb, is_url, open_db
from takelab.journal.lost_jobs import LostJob
from takelab.journal.owners import current_owner, owner_alive
from takelab.journal.schema import (
    Claim,
    ClaimResult,
    PreferenceRecord,
    TakeRecord,
    TakeState,
    VerdictRecord,
)
from takelab.journal.store import Journal

__all__ = [
    "Claim",
    "ClaimResult",
    "Journal",
    "JournalDb",
    "LostJob",
    "PreferenceRecord",
    "TakeRecord",
    "TakeState",
    "VerdictRecord",
    "current_owner",
    "is_url",
    "open_db",
    "owner_alive",
]
