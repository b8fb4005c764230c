"""A team server for tests: `takelab.team.up` in a temporary folder on free loopback ports."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ports import free_port

ADMIN_PASSWORD = "test-admin-password-0123"


@dataclass
class TeamServer:
    root: Path
    env: dict[str, str]  # what `make team-up` prints for clients
    admin_password: str

    @property
    def tracking_uri(self) -> str:
        return self.env["MLFLOW_TRACKING_URI"]

    @property
    def journal_url(self) -> str:
        return self.env["TAKELAB_JOURNAL_URL"]

    def fresh_database(self) -> str:
        """The URL of a new, empty database on the team's PostgreSQL."""
        import psycopg

        name = f"j_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.journal_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.journal_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def start_team_server() -> Iterator[TeamServer]:
    from takelab.team import TeamConfig, down, up

    # PostgreSQL runs as the `postgres` user when the tests run as root: its folder must
    # be reachable by that user, so it is not under pytest's private tmp folders.
    root = Path(tempfile.mkdtemp(prefix="takelab-team-"))
    root.chmod(0o755)
    cfg = TeamConfig(root=root, port=free_port(), pg_port=free_port(), workers=1)
    saved = os.environ.get("TAKELAB_ADMIN_PASSWORD")
    os.environ["TAKELAB_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    try:
        env = up(cfg)
        yield TeamServer(root=root, env=env, admin_password=ADMIN_PASSWORD)
    finally:
        if saved is None:
            os.environ.pop("TAKELAB_ADMIN_PASSWORD", None)
        else:
            os.environ["TAKELAB_ADMIN_PASSWORD"] = saved
        try:
            down(cfg)
        finally:
            shutil.rmtree(root, ignore_errors=True)
