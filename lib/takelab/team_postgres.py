"""Team mode's PostgreSQL: a cluster of its own under the team folder (Debian's server).

It listens on TAKELAB_TEAM_HOST:TAKELAB_PG_PORT with scram-sha-256 passwords and holds
the shared journal (`takelab`), MLflow's tracking store (`mlflow`) and its users
(`mlflow_auth`). PostgreSQL refuses to run as root; started by root, it runs as `postgres`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from takelab.errors import TakelabError
from takelab.team_config import DATABASES, DB_USER, TeamConfig, db_password, url_host


def pg_tool(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl): on PATH or in Debian's folder."""
    found = shutil.which(name)
    if found:
        return found
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (bindir / name).exists():
            return str(bindir / name)
    raise TakelabError(
        f"PostgreSQL's {name} was not found",
        hint="install Debian's package: sudo apt-get install postgresql",
    )


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise TakelabError(
            "running as root, and there is no `postgres` user to run PostgreSQL as",
            hint="install Debian's postgresql package, or run make team-up as a normal user",
        ) from None
    return "postgres"


def _as_server_user(cmd: list[str]) -> list[str]:
    user = _server_user()
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _chown_to_server_user(path: Path) -> None:
    user = _server_user()
    if user:
        entry = pwd.getpwnam(user)
        for p in (path, *path.rglob("*")):
            os.chown(p, entry.pw_uid, entry.pw_gid)


def _run(cmd: list[str], what: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise TakelabError(f"{what} failed: {' / '.join(detail)}", hint="see the message above")
    return done.stdout


def _pg_running(cfg: TeamConfig) -> bool:
    if not (cfg.pgdata / "PG_VERSION").exists():
        return False
    cmd = _as_server_user([pg_tool("pg_ctl"), "-D", str(cfg.pgdata), "status"])
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def start_postgres(cfg: TeamConfig) -> None:
    """Create the cluster on first use, start it on the loopback (or TAKELAB_TEAM_HOST)."""
    password = db_password(cfg)
    if not (cfg.pgdata / "PG_VERSION").exists():
        cfg.pgdata.mkdir(parents=True, exist_ok=True)
        pwfile = cfg.pgdata.parent / ".initdb-pw"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        try:
            _chown_to_server_user(cfg.pgdata)
            _chown_to_server_user(pwfile)
            _run(
                _as_server_user(
                    [
                        pg_tool("initdb"),
                        "-D",
                        str(cfg.pgdata),
                        "-U",
                        DB_USER,
                        f"--pwfile={pwfile}",
                        "--auth=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ]
                ),
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
    if not _pg_running(cfg):
        log = cfg.root / "postgres.log"
        log.touch()
        _chown_to_server_user(log)
        options = f"-c listen_addresses={cfg.host} -p {cfg.pg_port} -c unix_socket_directories="
        _run(
            _as_server_user(
                [
                    pg_tool("pg_ctl"),
                    "-D",
                    str(cfg.pgdata),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ]
            ),
            f"starting PostgreSQL on {cfg.host}:{cfg.pg_port} (log: {log})",
        )
    _create_databases(cfg, password)


def _create_databases(cfg: TeamConfig, password: str) -> None:
    try:
        import psycopg
    except ImportError:
        raise TakelabError(
            "team mode needs psycopg", hint="pip install 'takelab[team]' (make setup does)"
        ) from None

    dsn = f"host={url_host(cfg.host)} port={cfg.pg_port} user={DB_USER} dbname=postgres"
    with psycopg.connect(dsn, password=password, autocommit=True, connect_timeout=10) as conn:
        have = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
        for name in DATABASES:
            if name not in have:
                conn.execute(f'CREATE DATABASE "{name}"')


def stop_postgres(cfg: TeamConfig) -> bool:
    if not _pg_running(cfg):
        return False
    _run(
        _as_server_user([pg_tool("pg_ctl"), "-D", str(cfg.pgdata), "-m", "fast", "-w", "stop"]),
        "stopping PostgreSQL",
    )
    return True
