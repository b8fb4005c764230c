"""The admin's commands on the team host: members in, members out, a project's budget.

A member is one name for two logins, made together: an MLflow user (no admin rights; MLflow
gives a member MANAGE on the experiments they create and READ on everyone else's) and a
PostgreSQL login in the NOLOGIN group `takelab_member`, whose rights the journal's guard
defines (journal_guard). The PostgreSQL password reaches the server only as a SCRAM
verifier, so it is in no statement and no log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shlex
import time
import urllib.error
import urllib.request
from urllib.parse import quote

from takelab.errors import TakelabError, UsageError
from takelab.settings import settings
from takelab.team.config import (
    MEMBER_GROUP,
    TeamConfig,
    admin_password,
    check_member_name,
    url_host,
)
from takelab.team.postgres import connect_admin, owner_url

MEMBER_PASSWORD_ENV = "TAKELAB_MEMBER_PASSWORD"


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of `password` (what `ALTER ROLE ... PASSWORD`
    stores): the server never sees the password itself."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _mlflow(cfg: TeamConfig, path: str, method: str, body: dict[str, str]) -> int:
    """One call to MLflow's user API as the admin; returns the HTTP status."""
    token = base64.b64encode(f"{cfg.admin_user}:{admin_password()}".encode()).decode()
    request = urllib.request.Request(
        cfg.tracking_uri + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise TakelabError(
                "MLflow refused the admin login (401)",
                hint="export the TAKELAB_ADMIN_PASSWORD the team server was started with",
            ) from None
        return int(exc.code)
    except OSError as exc:
        raise TakelabError(
            f"MLflow is unreachable at {cfg.tracking_uri}: {exc}",
            hint="start the team server first: make team-up",
        ) from None


def member_env(cfg: TeamConfig, name: str, password: str) -> dict[str, str]:
    """What the member exports: their own two logins, never the admin's."""
    secret = quote(password, safe="")
    return {
        "MLFLOW_TRACKING_URI": cfg.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": name,
        "MLFLOW_TRACKING_PASSWORD": password,
        "TAKELAB_JOURNAL_URL": (
            f"postgresql://{name}:{secret}@{url_host(cfg.host)}:{cfg.pg_port}/takelab"
        ),
    }


def export_lines(env: dict[str, str]) -> str:
    """`export NAME=value` lines a POSIX shell can `source`, whatever the values hold."""
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def add_member(cfg: TeamConfig, name: str, password: str | None = None) -> dict[str, str]:
    """Make (or re-key) member `name` in MLflow and PostgreSQL; return their environment."""
    from psycopg import sql

    check_member_name(name)
    if name == cfg.admin_user:
        raise UsageError(f"{name!r} is the MLflow admin's name", hint="choose another name")
    password = password or settings().member_password or secrets.token_urlsafe(18)
    if len(password) < 12:
        raise UsageError(
            f"{MEMBER_PASSWORD_ENV} is {len(password)} characters; at least 12 are needed"
        )
    status = _mlflow(
        cfg, "/api/2.0/mlflow/users/create", "POST", {"username": name, "password": password}
    )
    if status != 200:
        status = _mlflow(
            cfg,
            "/api/2.0/mlflow/users/update-password",
            "PATCH",
            {"username": name, "password": password},
        )
        if status != 200:
            raise TakelabError(f"MLflow did not create user {name} (HTTP {status})")
    with connect_admin(cfg) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(
                verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
                " NOBYPASSRLS INHERIT PASSWORD {}"
            ).format(sql.Identifier(name), sql.Literal(scram_verifier(password)))
        )
        conn.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(MEMBER_GROUP), sql.Identifier(name))
        )
    return member_env(cfg, name, password)


def remove_member(cfg: TeamConfig, name: str) -> list[str]:
    """Revoke both of `name`'s logins; their takes and verdicts stay, under their name."""
    from psycopg import sql

    check_member_name(name)
    done = []
    status = _mlflow(cfg, "/api/2.0/mlflow/users/delete", "DELETE", {"username": name})
    if status == 200:
        done.append("MLflow user")
    with connect_admin(cfg) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(
                sql.SQL("REVOKE {} FROM {}").format(
                    sql.Identifier(MEMBER_GROUP), sql.Identifier(name)
                )
            )
            conn.execute(
                sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(sql.Identifier(name))
            )
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            done.append("PostgreSQL login")
    return done


def set_budget(cfg: TeamConfig, project: str, usd: float) -> None:
    """The project's team budget: what all members together may spend on it."""
    import psycopg

    if not usd >= 0:
        raise UsageError(f"a budget is a number of USD, 0 or more; got {usd}")
    try:
        with psycopg.connect(owner_url(cfg), autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                "INSERT INTO budgets (project, budget_usd, set_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (project) DO UPDATE SET budget_usd = EXCLUDED.budget_usd,"
                " set_at = EXCLUDED.set_at",
                (project, usd, time.time()),
            )
    except psycopg.Error as exc:
        raise TakelabError(
            f"cannot set the budget: {str(exc).strip().splitlines()[0]}",
            hint="run this on the team host while the team server is up (make team-up)",
        ) from None
