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
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from takelab.errors import TakelabError
from takelab.settings import settings
from takelab.team.config import (
    TeamConfig,
    admin_password,
    db_password,
    team_secret,
    write_secret,
)
from takelab.team.postgres import start_postgres, stop_postgres
from takelab.team.store import check_store, upgrade_store

__all__ = ["TeamConfig", "admin_env", "admin_password", "down", "main", "up"]


# -- the MLflow server -----------------------------------------------------------------


def _auth_ini(cfg: TeamConfig, uid: int) -> Path:
    """MLflow's basic-auth settings: users in PostgreSQL; no password in the file."""
    path = cfg.root / "basic_auth.ini"
    path.unlink(missing_ok=True)
    write_secret(
        path,
        "[mlflow]\n"
        f"default_permission = {cfg.default_permission}\n"
        f"database_uri = {cfg.db_uri('mlflow_auth', driver='postgresql+psycopg')}\n"
        f"admin_username = {cfg.admin_user}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        # A login is checked (PBKDF2) once per 30 s per worker, not on every request: a
        # sweep logs many. A changed password reaches other workers within those 30 s.
        "auth_cache_ttl_seconds = 30\n",
        uid=uid,
    )
    return path


def _server_user() -> tuple[list[str], int]:
    """Who the MLflow server runs as: this user, or, started by root, an unprivileged one
    (TAKELAB_TEAM_MLFLOW_USER, default `nobody`) that must be able to run this Python."""
    if os.geteuid() != 0:
        return [], -1
    name = settings().team_mlflow_user
    if name == "root":
        return [], -1
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        raise TakelabError(
            f"there is no user {name!r} to run the MLflow server as",
            hint="set TAKELAB_TEAM_MLFLOW_USER to an unprivileged user",
        ) from None
    prefix = ["runuser", "-u", name, "--"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import mlflow.server, psycopg"],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    if probe.returncode != 0:
        raise TakelabError(
            f"the MLflow server would run as root: user {name!r} cannot run"
            f" {sys.executable} with mlflow ({probe.stderr.strip().splitlines()[-1:]})",
            hint=f"install takelab where {name!r} can read it, run make team-up as a normal"
            " user, or accept root with TAKELAB_TEAM_MLFLOW_USER=root",
        )
    return prefix, uid


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
    prefix, uid = _server_user()
    check_store(cfg)  # a half-migrated database is named, with the command that finishes it
    artifacts = cfg.root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    home = cfg.root / "mlflow-home"
    home.mkdir(exist_ok=True)
    if uid != -1:  # the server writes take files and nothing else of the team folder
        for path in (artifacts, *artifacts.rglob("*"), home):
            os.chown(path, uid, -1)
    env = dict(os.environ)
    for key in list(env):  # the server is not a client of itself
        if key.startswith(("MLFLOW_TRACKING_", "TAKELAB_")):
            env.pop(key)
    env.update(
        HOME=str(home),
        MLFLOW_AUTH_CONFIG_PATH=str(_auth_ini(cfg, uid)),
        MLFLOW_AUTH_ADMIN_USERNAME=cfg.admin_user,
        MLFLOW_AUTH_ADMIN_PASSWORD=password,
        MLFLOW_FLASK_SERVER_SECRET_KEY=team_secret(cfg, "flask-secret"),
        PGPASSWORD=db_password(cfg),
        # takelab needs no server-side jobs; off, whatever the host's environment says.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
    )
    cmd = [
        *prefix,
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
    if allowed := settings().team_allowed_hosts:
        cmd += ["--allowed-hosts", allowed]
    log_path = cfg.root / "mlflow.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(home),
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


def admin_env(cfg: TeamConfig) -> dict[str, str]:
    """What the admin needs on the team host: where MLflow is. The admin's own login stays
    in their shell (TAKELAB_ADMIN_PASSWORD); members get theirs from `add-member`."""
    return {"MLFLOW_TRACKING_URI": cfg.tracking_uri, "MLFLOW_TRACKING_USERNAME": cfg.admin_user}


def up(cfg: TeamConfig | None = None) -> dict[str, str]:
    """Start PostgreSQL and the MLflow server (idempotent); return the admin's environment."""
    cfg = cfg or TeamConfig.from_env()
    password = admin_password()
    cfg.root.mkdir(parents=True, exist_ok=True)
    start_postgres(cfg)
    start_mlflow(cfg, password)
    return admin_env(cfg)


def down(cfg: TeamConfig | None = None) -> list[str]:
    """Stop the MLflow server and PostgreSQL; their data stays in the team folder."""
    cfg = cfg or TeamConfig.from_env()
    stopped = []
    if stop_mlflow(cfg):
        stopped.append("mlflow server")
    if stop_postgres(cfg):
        stopped.append("PostgreSQL")
    return stopped


USAGE = """usage: python -m takelab.team COMMAND   (or: takelab team COMMAND)
  up                     start PostgreSQL and the MLflow server (TAKELAB_ADMIN_PASSWORD)
  down                   stop both; the data stays
  upgrade                finish an interrupted migration of MLflow's database
  add-member NAME        make NAME's MLflow and PostgreSQL logins; prints their exports
  remove-member NAME     revoke both of NAME's logins
  budget PROJECT USD     what all members together may spend on PROJECT"""


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    from takelab.team import members as team_members

    args = sys.argv[1:] if argv is None else argv
    err = Console(stderr=True)
    verb, rest = (args[0], args[1:]) if args else ("", [])
    arity = {
        "up": 0,
        "down": 0,
        "upgrade": 0,
        "add-member": 1,
        "remove-member": 1,
        "budget": 2,
    }
    if verb in ("help", "-h", "--help"):
        err.print(USAGE, markup=False)
        return 0
    if arity.get(verb) != len(rest):
        err.print(
            "error: usage: takelab team up|down|upgrade|add-member NAME|remove-member NAME"
            "|budget PROJECT USD\nhint: `takelab team help` says what each does",
            markup=False,
        )
        return 2
    try:
        cfg = TeamConfig.from_env()
        if verb == "upgrade":
            start_postgres(cfg)
            upgrade_store(cfg)
            err.print("MLflow's team database is at this MLflow's schema: `make team-up` now")
        elif verb == "up":
            up(cfg)
            err.print(f"[green]team server up[/]: MLflow {cfg.tracking_uri}, data in {cfg.root}")
            err.print(
                "Next, on this host (TAKELAB_ADMIN_PASSWORD still exported):\n"
                "  takelab team budget PROJECT USD    the team's budget for a project\n"
                "  takelab team add-member NAME       prints NAME's exports: hand them over"
                " privately",
                markup=False,
            )
        elif verb == "down":
            stopped = down(cfg)
            err.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        elif verb == "add-member":
            env = team_members.add_member(cfg, rest[0])
            err.print(f"member {rest[0]} added; they `source` these lines (keep them private):")
            sys.stdout.write(team_members.export_lines(env))
        elif verb == "remove-member":
            gone = team_members.remove_member(cfg, rest[0])
            err.print(f"{rest[0]}: revoked " + (", ".join(gone) if gone else "nothing (unknown)"))
        else:
            try:
                usd = float(rest[1])
            except ValueError:
                err.print(f"[red]error:[/] the budget must be a number of USD, got {rest[1]!r}")
                return 2
            team_members.set_budget(cfg, rest[0], usd)
            err.print(f"team budget of {rest[0]}: ${usd:.2f}")
    except TakelabError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        if exc.hint:
            err.print(f"  hint: {exc.hint}", markup=False)
        return exc.exit_code
    except OSError as exc:  # a program or folder the team server needs is not there
        err.print(f"[red]error:[/] {exc}")
        return 1
    return 0
