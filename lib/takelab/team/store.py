"""The team's MLflow database on PostgreSQL: checked before `mlflow server` starts on it,
and upgraded on request (`make team-upgrade`).

PostgreSQL runs MLflow's migrations in one transaction, so a server killed while it
migrates leaves the database as it was before (or with the first tables and no revision).
The server would then stop at start with a schema error in its log; takelab checks first
and says what happened and which command finishes the migration.
"""

from __future__ import annotations

import os
import subprocess
import sys

from takelab.errors import TakelabError
from takelab.errors import TeamStoreError as TeamStoreError  # defined with every error
from takelab.team.config import TeamConfig, db_password
from takelab.tracking.store import StoreProblem, schema_problem

UPGRADE_COMMAND = "make team-upgrade"  # python -m takelab.team upgrade


def store_problem(cfg: TeamConfig, database: str = "mlflow") -> StoreProblem | None:
    """Why the team's MLflow database cannot be served as it is; None when it is whole or
    empty (the server makes an empty one itself)."""
    problem = schema_problem(
        cfg.db_uri(database, driver="postgresql+psycopg"),
        connect_args={"password": db_password(cfg)},
    )
    return None if problem is not None and problem.kind == "empty" else problem


def check_store(cfg: TeamConfig, database: str = "mlflow") -> None:
    """Raise TeamStoreError, naming the command to run, if the database is half-migrated."""
    problem = store_problem(cfg, database)
    if problem is not None:
        raise TeamStoreError(database, problem, upgrade_command=UPGRADE_COMMAND)


def upgrade_store(cfg: TeamConfig, database: str = "mlflow") -> None:
    """Run MLflow's migrations to the head on the team's database (`mlflow db upgrade`)."""
    env = {**os.environ, "PGPASSWORD": db_password(cfg)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlflow",
            "db",
            "upgrade",
            cfg.db_uri(database, driver="postgresql+psycopg"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = " / ".join(proc.stderr.strip().splitlines()[-3:])
        raise TakelabError(
            f"`mlflow db upgrade` failed on the team's {database!r} database: {tail}",
            hint="restore the team folder's backup, or ask on MLflow's tracker with this error",
        )
    check_store(cfg, database)
