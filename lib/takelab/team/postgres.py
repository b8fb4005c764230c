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
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from takelab.errors import TakelabError
from takelab.team.config import (
    DATABASES,
    DB_OWNER,
    DB_USER,
    MEMBER_GROUP,
    TeamConfig,
    db_password,
    owner_password,
    url_host,
    write_secret,
)


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


def _server_ids() -> tuple[int, int]:
    user = _server_user()
    if user is None:
        return -1, -1
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _initdb(cfg: TeamConfig, password: str) -> None:
    """Make the cluster. Its password file is created 0600 (owned by the server's user) in
    a fresh 0700 folder and removed right after: at no moment can another user read it."""
    cfg.pgdata.mkdir(parents=True, exist_ok=True)
    cfg.pgdata.chmod(0o700)
    _chown_to_server_user(cfg.pgdata)
    uid, gid = _server_ids()
    folder = Path(tempfile.mkdtemp(prefix=".initdb-", dir=cfg.root))  # 0700
    try:
        if uid != -1:
            os.chown(folder, uid, gid)
        pwfile = folder / "pw"
        write_secret(pwfile, password + "\n", uid=uid, gid=gid)
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
        shutil.rmtree(folder, ignore_errors=True)


def hba_lines(cfg: TeamConfig) -> str:
    """pg_hba.conf: TCP with scram-sha-256 only; members from the configured network into
    the journal only; the superuser and the owner from this host only; no replication."""
    host = url_host(cfg.host)
    own = ["127.0.0.1/32"] + ([f"{host}/32"] if host != "127.0.0.1" else [])
    network = cfg.network or own[-1]
    lines = [
        "# Written by `takelab team up` on every start; edits are overwritten.",
        "# TYPE  DATABASE  USER  ADDRESS  METHOD",
        f"host  takelab  +{MEMBER_GROUP}  {network}  scram-sha-256",
        *(f"host  all  {DB_USER},{DB_OWNER}  {addr}  scram-sha-256" for addr in own),
    ]
    return "\n".join(lines) + "\n"


def _write_hba(cfg: TeamConfig) -> None:
    path = cfg.pgdata / "pg_hba.conf"
    tmp = path.with_name("pg_hba.conf.new")
    tmp.unlink(missing_ok=True)
    uid, gid = _server_ids()
    write_secret(tmp, hba_lines(cfg), uid=uid, gid=gid)
    tmp.replace(path)


def start_postgres(cfg: TeamConfig) -> None:
    """Create the cluster on first use, start it on the loopback (or TAKELAB_TEAM_HOST)."""
    password = db_password(cfg)
    if not (cfg.pgdata / "PG_VERSION").exists():
        _initdb(cfg, password)
    _write_hba(cfg)
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
    else:
        _run(_as_server_user([pg_tool("pg_ctl"), "-D", str(cfg.pgdata), "reload"]), "reload")
    _create_databases(cfg, password)


def superuser_dsn(cfg: TeamConfig, database: str = "postgres") -> str:
    return f"host={url_host(cfg.host)} port={cfg.pg_port} user={DB_USER} dbname={database}"


def connect_admin(cfg: TeamConfig, database: str = "postgres") -> Any:
    """The bootstrap superuser's connection (on the team host only)."""
    try:
        import psycopg
    except ImportError:
        raise TakelabError(
            "team mode needs psycopg", hint="pip install 'takelab[team]' (make setup does)"
        ) from None
    try:
        return psycopg.connect(
            superuser_dsn(cfg, database),
            password=db_password(cfg),
            autocommit=True,
            connect_timeout=10,
        )
    except psycopg.Error as exc:
        raise TakelabError(
            f"cannot reach the team's PostgreSQL on {cfg.host}:{cfg.pg_port}:"
            f" {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}",
            hint="is the team server up (`make team-up`)? run this on the team host",
        ) from None


def owner_url(cfg: TeamConfig) -> str:
    """The journal owner's URL (migrations and budgets; never handed to clients)."""
    secret = quote(owner_password(cfg), safe="")
    return f"postgresql://{DB_OWNER}:{secret}@{url_host(cfg.host)}:{cfg.pg_port}/takelab"


def _create_databases(cfg: TeamConfig, password: str) -> None:
    """Databases, the owner and member roles, and who may connect where."""
    del password
    from psycopg import sql

    with connect_admin(cfg) as conn:
        have = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        owner_pw = owner_password(cfg)
        if DB_OWNER not in have:
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                    " PASSWORD {}"
                ).format(sql.Identifier(DB_OWNER), sql.Literal(owner_pw))
            )
        if MEMBER_GROUP not in have:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(MEMBER_GROUP)))
        dbs = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
        for name in DATABASES:
            if name not in dbs:
                owner = DB_OWNER if name == "takelab" else DB_USER
                conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        conn.execute(f'ALTER DATABASE takelab OWNER TO "{DB_OWNER}"')
        # Nobody but the superuser connects to MLflow's databases or the maintenance ones;
        # members connect to the journal only (pg_hba.conf says the same).
        for name in (*DATABASES, "postgres", "template1"):
            conn.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        conn.execute(f'GRANT CONNECT ON DATABASE takelab TO "{MEMBER_GROUP}"')
    with connect_admin(cfg, "takelab") as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{MEMBER_GROUP}"')
        # A journal made by an older takelab belongs to the superuser: hand it over.
        for (table,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
            " AND pg_get_userbyid(c.relowner) <> %s",
            (DB_OWNER,),
        ).fetchall():
            conn.execute(f'ALTER TABLE "{table}" OWNER TO "{DB_OWNER}"')
    # The owner migrates and installs the guard (grants, row-level security, triggers).
    from takelab.journal.db import PostgresDb

    PostgresDb(owner_url(cfg)).migrate()


def stop_postgres(cfg: TeamConfig) -> bool:
    if not _pg_running(cfg):
        return False
    _run(
        _as_server_user([pg_tool("pg_ctl"), "-D", str(cfg.pgdata), "-m", "fast", "-w", "stop"]),
        "stopping PostgreSQL",
    )
    return True
