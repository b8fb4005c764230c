"""Half-made MLflow stores, made the way a crash makes them: MLflow's own migration of a
new store runs in a child process that SIGKILLs itself right after one chosen SQL
statement has run (as a laptop's power cut or `kill -9` at that instant would).

SQLite commits each DDL statement on its own, so what ran before the kill stays and the
revision recorded in `alembic_version` does not move: the three states of issue 13.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# The state, the statement after which the migration dies, and what plain MLflow says
# when it opens the store afterwards.
STATES = {
    "duplicate-column": (
        r"ALTER TABLE endpoints ADD COLUMN routing_strategy",
        "duplicate column name: routing_strategy",
    ),
    "alembic-tmp-table": (
        r"CREATE TABLE _alembic_tmp_experiments",
        "table _alembic_tmp_experiments already exists",
    ),
    "guardrails-exists": (
        r"CREATE TABLE guardrails\b",
        "table guardrails already exists",
    ),
}

# The column or table each state is about, as a message naming the problem must show it.
NAMES = {
    "duplicate-column": "routing_strategy",
    "alembic-tmp-table": "_alembic_tmp_experiments",
    "guardrails-exists": "guardrails",
}

KILLER = """
import os, re, signal, sys
import sqlalchemy
from mlflow.store.db.utils import _initialize_tables, create_sqlalchemy_engine

uri, pattern = sys.argv[1], re.compile(sys.argv[2], re.IGNORECASE)
engine = create_sqlalchemy_engine(uri)

@sqlalchemy.event.listens_for(engine, "after_cursor_execute")
def die(conn, cursor, statement, parameters, context, executemany):
    if pattern.search(statement):
        os.kill(os.getpid(), signal.SIGKILL)

_initialize_tables(engine)
print("the migration finished without reaching the statement")
"""


def kill_migration(db_uri: str, statement: str) -> None:
    """Run MLflow's migration of a new store at `db_uri`, SIGKILLed after `statement`."""
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, db_uri, statement],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -9, f"the migration was not killed: {proc.stdout}{proc.stderr}"


def half_made_store(path: Path, state: str) -> str:
    """Leave a half-made SQLite store at `path`; returns MLflow's error for that state."""
    statement, error = STATES[state]
    kill_migration(f"sqlite:///{path}", statement)
    return error
