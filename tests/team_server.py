"""A team server for tests: `takelab.team.host.up` in a temporary folder on free loopback ports,
with two members made by `add-member` (alice and bob)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ports import free_port

ADMIN_PASSWORD = "test-admin-password-0123"


@dataclass
class TeamServer:
    root: Path
    cfg: object  # takelab.team.config.TeamConfig
    admin_password: str
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> exports

    @property
    def tracking_uri(self) -> str:
        return self.env["MLFLOW_TRACKING_URI"]

    @property
    def env(self) -> dict[str, str]:
        """The MLflow admin's settings (tests that act as the admin)."""
        from takelab.team.config import TeamConfig

        assert isinstance(self.cfg, TeamConfig)
        return {
            "MLFLOW_TRACKING_URI": self.cfg.tracking_uri,
            "MLFLOW_TRACKING_USERNAME": self.cfg.admin_user,
            "MLFLOW_TRACKING_PASSWORD": self.admin_password,
        }

    @property
    def journal_url(self) -> str:
        """The superuser's URL of the team journal (server side only; never a client's)."""
        from takelab.team.config import DB_USER, TeamConfig, db_password

        assert isinstance(self.cfg, TeamConfig)
        return (
            f"postgresql://{DB_USER}:{db_password(self.cfg)}@127.0.0.1:{self.cfg.pg_port}/takelab"
        )

    def fresh_database(self) -> str:
        """The URL of a new, empty database on the team's PostgreSQL (superuser's)."""
        import psycopg

        name = f"j_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.journal_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.journal_url.rsplit("/", 1)[0] + "/" + name

    def admin(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`takelab team ARGS` as the admin on the team host."""
        full = {**os.environ, "TAKELAB_TEAM_DIR": str(self.root), **(env or {})}
        full["TAKELAB_ADMIN_PASSWORD"] = self.admin_password
        from takelab.team.config import TeamConfig

        assert isinstance(self.cfg, TeamConfig)
        full.update(
            TAKELAB_TEAM_PORT=str(self.cfg.port),
            TAKELAB_PG_PORT=str(self.cfg.pg_port),
        )
        return subprocess.run(
            [sys.executable, "-m", "takelab.cli", "team", *args],
            env=full,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def add_member(self, name: str, password: str | None = None) -> dict[str, str]:
        """`takelab team add-member NAME`: the exports it printed, parsed by bash."""
        extra = {"TAKELAB_MEMBER_PASSWORD": password} if password else {}
        done = self.admin("add-member", name, env=extra)
        assert done.returncode == 0, done.stderr
        script = done.stdout + "env -0\n"
        sourced = subprocess.run(["bash", "-c", script], capture_output=True, env={}, check=True)
        pairs = [p.split("=", 1) for p in sourced.stdout.decode().split("\0") if "=" in p]
        exports = {k: v for k, v in pairs if k.startswith(("MLFLOW_", "TAKELAB_"))}
        self.members[name] = exports
        return exports


def mlflow_user_can_run() -> bool:
    """Whether `team up` can run the MLflow server as an unprivileged user here."""
    from takelab.errors import TakelabError
    from takelab.team.host import _server_user

    saved = os.environ.pop("TAKELAB_TEAM_MLFLOW_USER", None)
    try:
        _server_user()
        return True
    except TakelabError:
        return False
    finally:
        if saved is not None:
            os.environ["TAKELAB_TEAM_MLFLOW_USER"] = saved


@contextmanager
def start_team_server() -> Iterator[TeamServer]:
    from takelab.team.host import TeamConfig, down, up

    # PostgreSQL runs as the `postgres` user when the tests run as root: its folder must
    # be reachable by that user, so it is not under pytest's private tmp folders.
    root = Path(tempfile.mkdtemp(prefix="takelab-team-"))
    root.chmod(0o755)
    cfg = TeamConfig(root=root, port=free_port(), pg_port=free_port(), workers=1)
    saved = os.environ.get("TAKELAB_ADMIN_PASSWORD")
    os.environ["TAKELAB_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    if not mlflow_user_can_run():
        # Started by root, the server runs as `nobody`, who cannot run this Python here
        # (e.g. a pyenv under /root): the documented opt-in, so the rest can be tested.
        os.environ.setdefault("TAKELAB_TEAM_MLFLOW_USER", "root")
    try:
        up(cfg)
        server = TeamServer(root=root, cfg=cfg, admin_password=ADMIN_PASSWORD)
        server.add_member("alice")
        server.add_member("bob")
        yield server
    finally:
        if saved is None:
            os.environ.pop("TAKELAB_ADMIN_PASSWORD", None)
        else:
            os.environ["TAKELAB_ADMIN_PASSWORD"] = saved
        try:
            down(cfg)
        finally:
            shutil.rmtree(root, ignore_errors=True)
