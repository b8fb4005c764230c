"""Team mode: one host (PostgreSQL and an authenticated MLflow server) shared by members:
`config` (the team file and secrets), `host` (`make team-up`/`team-down`), `members`
(logins and budgets), `postgres` (the server) and `store` (the MLflow store's schema)."""

from takelab.team.config import TeamConfig
from takelab.team.members import add_member, remove_member, set_budget
from takelab.team.store import TeamStoreError, check_store, upgrade_store

__all__ = [
    "TeamConfig",
    "TeamStoreError",
    "add_member",
    "check_store",
    "remove_member",
    "set_budget",
    "upgrade_store",
]
