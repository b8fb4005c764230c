"""Team mode: PostgreSQL and an authenticated MLflow server for a studio (`make team-up`).

One host runs Debian's PostgreSQL (a cluster of its own under the team folder) holding
three databases: `takelab` (the shared journal: claims, job ids, budget), `mlflow` (the
tracking store) and `mlflow_auth` (MLflow's users). `mlflow server` runs on it with the
basic-auth app and the artifact proxy, so take files travel through the server and no
client needs the artifact store's credentials.

Secrets stay out of files and command lines where the tools allow it: the admin password
comes from TAKELAB_ADMIN_PASSWORD and reaches MLflow as MLFLOW_AUTH_ADMIN_PASSWORD; the
database password is generated once, kept in `<team dir>/secrets/` (mode 0600) and given
to the server as PGPASSWORD.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from takelab.errors import TakelabError, UsageError
from takelab.home import repo_root

ADMIN_PASSWORD_ENV = "TAKELAB_ADMIN_PASSWORD"
MIN_ADMIN_PASSWORD = 12
DB_USER = "takelab"
DATABASES = ("takelab", "mlflow", "mlflow_auth")


@dataclass(frozen=True)
class TeamConfig:
    """Where and how the team server runs (all from the environment)."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 5000
    pg_port: int = 5432
    admin_user: str = "admin"
    default_permission: str = "EDIT"
    workers: int = 2

    @classmethod
    def from_env(cls) -> TeamConfig:
        env = os.environ
        root = Path(env.get("TAKELAB_TEAM_DIR") or repo_root() / "runs" / "team")
        try:
            return cls(
                root=root.expanduser().resolve(),
                host=env.get("TAKELAB_TEAM_HOST", "127.0.0.1"),
                port=int(env.get("TAKELAB_TEAM_PORT", "5000")),
                pg_port=int(env.get("TAKELAB_PG_PORT", "5432")),
                admin_user=env.get("TAKELAB_ADMIN_USER", "admin"),
                default_permission=env.get("TAKELAB_TEAM_DEFAULT_PERMISSION", "EDIT"),
                workers=int(env.get("TAKELAB_TEAM_WORKERS", "2")),
            )
        except ValueError as exc:
            raise UsageError(
                f"a team port or worker count is not a number: {exc}",
                hint="TAKELAB_TEAM_PORT, TAKELAB_PG_PORT and TAKELAB_TEAM_WORKERS take integers",
            ) from None

    @property
    def pgdata(self) -> Path:
        return self.root / "pg"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def tracking_uri(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    def db_uri(self, database: str, *, driver: str = "postgresql") -> str:
        """A database URI without the password (the server gets it as PGPASSWORD)."""
        return f"{driver}://{DB_USER}@{_url_host(self.host)}:{self.pg_port}/{database}"


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def admin_password() -> str:
    """The admin password from the environment: required, never defaulted, 12+ characters."""
    value = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if not value:
        raise UsageError(
            f"{ADMIN_PASSWORD_ENV} is not set",
            hint=f"export {ADMIN_PASSWORD_ENV}=... (at least {MIN_ADMIN_PASSWORD} characters);"
            " there is no default",
        )
    if len(value) < MIN_ADMIN_PASSWORD:
        raise UsageError(
            f"{ADMIN_PASSWORD_ENV} is {len(value)} characters; at least "
            f"{MIN_ADMIN_PASSWORD} are needed",
            hint="choose a longer password",
        )
    return value


# -- PostgreSQL ------------------------------------------------------------------------


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


def _secret(cfg: TeamConfig, name: str) -> str:
    """A generated secret kept in the team folder (0600), made on first use."""
    cfg.secrets_dir.mkdir(parents=True, exist_ok=True)
    cfg.secrets_dir.chmod(0o700)
    path = cfg.secrets_dir / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def db_password(cfg: TeamConfig) -> str:
    return _secret(cfg, "pg-password")


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
    import psycopg

    dsn = f"host={_url_host(cfg.host)} port={cfg.pg_port} user={DB_USER} dbname=postgres"
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


# -- the MLflow server -----------------------------------------------------------------


def _auth_ini(cfg: TeamConfig) -> Path:
    """MLflow's basic-auth settings: users in PostgreSQL; no password in the file."""
    path = cfg.root / "basic_auth.ini"
    path.write_text(
        "[mlflow]\n"
        f"default_permission = {cfg.default_permission}\n"
        f"database_uri = {cfg.db_uri('mlflow_auth', driver='postgresql+psycopg')}\n"
        f"admin_username = {cfg.admin_user}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # A login is checked (PBKDF2) once per 30 s per worker, not on every request: a
        # sweep logs many. A changed password reaches other workers within those 30 s.
        "auth_cache_ttl_seconds = 30\n"
    )
    path.chmod(0o600)
    return path


def _pid(cfg: TeamConfig) -> int | None:
    path = cfg.root / "mlflow.pid"
    try:
        pid = int(path.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _healthy(cfg: TeamConfig) -> bool:
    try:
        with urllib.request.urlopen(cfg.tracking_uri + "/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start_mlflow(cfg: TeamConfig, password: str, *, timeout_s: float = 120.0) -> None:
    if _pid(cfg) is not None and _healthy(cfg):
        return
    artifacts = cfg.root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for key in list(env):  # the server is not a client of itself
        if key.startswith(("MLFLOW_TRACKING_", "TAKELAB_")):
            env.pop(key)
    env.update(
        MLFLOW_AUTH_CONFIG_PATH=str(_auth_ini(cfg)),
        MLFLOW_AUTH_ADMIN_USERNAME=cfg.admin_user,
        MLFLOW_AUTH_ADMIN_PASSWORD=password,
        MLFLOW_FLASK_SERVER_SECRET_KEY=_secret(cfg, "flask-secret"),
        PGPASSWORD=db_password(cfg),
        # takelab needs no server-side jobs; off, whatever the host's environment says.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
    )
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        cfg.db_uri("mlflow", driver="postgresql+psycopg"),
        "--serve-artifacts",
        "--artifacts-destination",
        str(artifacts),
        "--app-name",
        "basic-auth",
        "--host",
        cfg.host,
        "--port",
        str(cfg.port),
        "--workers",
        str(cfg.workers),
    ]
    if allowed := os.environ.get("TAKELAB_TEAM_ALLOWED_HOSTS"):
        cmd += ["--allowed-hosts", allowed]
    log_path = cfg.root / "mlflow.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    (cfg.root / "mlflow.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise TakelabError(
                f"mlflow server exited with {proc.returncode}: {' / '.join(tail)}",
                hint=f"see {log_path}; is port {cfg.port} free? (TAKELAB_TEAM_PORT)",
            )
        if _healthy(cfg):
            return
        time.sleep(0.5)
    stop_mlflow(cfg)
    raise TakelabError(
        f"mlflow server did not answer on {cfg.tracking_uri} within {timeout_s:.0f} s",
        hint=f"see {log_path}",
    )


def stop_mlflow(cfg: TeamConfig) -> bool:
    pid = _pid(cfg)
    (cfg.root / "mlflow.pid").unlink(missing_ok=True)
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


# -- up and down -----------------------------------------------------------------------


def client_env(cfg: TeamConfig, password: str) -> dict[str, str]:
    """What a client exports to work against this team server."""
    db = db_password(cfg)
    return {
        "MLFLOW_TRACKING_URI": cfg.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": cfg.admin_user,
        "MLFLOW_TRACKING_PASSWORD": password,
        "TAKELAB_JOURNAL_URL": (
            f"postgresql://{DB_USER}:{db}@{_url_host(cfg.host)}:{cfg.pg_port}/takelab"
        ),
    }


def up(cfg: TeamConfig | None = None) -> dict[str, str]:
    """Start PostgreSQL and the MLflow server (idempotent); return the client environment."""
    cfg = cfg or TeamConfig.from_env()
    password = admin_password()
    cfg.root.mkdir(parents=True, exist_ok=True)
    start_postgres(cfg)
    start_mlflow(cfg, password)
    return client_env(cfg, password)


def down(cfg: TeamConfig | None = None) -> list[str]:
    """Stop the MLflow server and PostgreSQL; their data stays in the team folder."""
    cfg = cfg or TeamConfig.from_env()
    stopped = []
    if stop_mlflow(cfg):
        stopped.append("mlflow server")
    if stop_postgres(cfg):
        stopped.append("PostgreSQL")
    return stopped


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    args = sys.argv[1:] if argv is None else argv
    err = Console(stderr=True)
    if args not in (["up"], ["down"]):
        err.print("usage: python -m takelab.team up|down")
        return 2
    try:
        if args == ["up"]:
            cfg = TeamConfig.from_env()
            env = up(cfg)
            err.print(f"[green]team server up[/]: MLflow {cfg.tracking_uri}, data in {cfg.root}")
            err.print("A client needs (paste into its shell, or its git-ignored .env):")
            for key, value in env.items():
                print(f"export {key}='{value}'")
        else:
            stopped = down()
            err.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    except TakelabError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        if exc.hint:
            err.print(f"  hint: {exc.hint}")
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
