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
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from takelab.errors import TakelabError
from takelab.team_config import (
    DB_USER,
    TeamConfig,
    admin_password,
    db_password,
    team_secret,
    url_host,
)
from takelab.team_postgres import start_postgres, stop_postgres
from takelab.team_store import check_store, upgrade_store

__all__ = ["TeamConfig", "admin_password", "client_env", "down", "main", "up"]


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
    check_store(cfg)  # a half-migrated database is named, with the command that finishes it
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
        MLFLOW_FLASK_SERVER_SECRET_KEY=team_secret(cfg, "flask-secret"),
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
            f"postgresql://{DB_USER}:{db}@{url_host(cfg.host)}:{cfg.pg_port}/takelab"
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
    if args not in (["up"], ["down"], ["upgrade"]):
        err.print("usage: python -m takelab.team up|down|upgrade")
        return 2
    try:
        if args == ["upgrade"]:
            cfg = TeamConfig.from_env()
            start_postgres(cfg)
            upgrade_store(cfg)
            err.print("MLflow's team database is at this MLflow's schema: `make team-up` now")
        elif args == ["up"]:
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
    except OSError as exc:  # a program or folder the team server needs is not there
        err.print(f"[red]error:[/] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
