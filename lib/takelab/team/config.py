"""Team mode settings: where the team server runs, its admin password and its secrets."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from takelab.errors import UsageError
from takelab.home import repo_root
from takelab.settings import settings

ADMIN_PASSWORD_ENV = "TAKELAB_ADMIN_PASSWORD"
MIN_ADMIN_PASSWORD = 12
# The cluster's bootstrap superuser: the admin's and the MLflow server's, on the team host
# only (pg_hba.conf lets it in from the loopback and the server's own address).
DB_USER = "takelab"
# Owns the journal's tables and runs its migrations; neither superuser nor a member.
DB_OWNER = "takelab_owner"
# The NOLOGIN group every member's login belongs to (journal_guard grants to it).
MEMBER_GROUP = "takelab_member"
DATABASES = ("takelab", "mlflow", "mlflow_auth")
RESERVED_NAMES = frozenset({DB_USER, DB_OWNER, MEMBER_GROUP, "postgres", "admin", "public"})


@dataclass(frozen=True)
class TeamConfig:
    """Where and how the team server runs (all from the environment)."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 5000
    pg_port: int = 5432
    admin_user: str = "admin"
    default_permission: str = "READ"
    workers: int = 2
    network: str = ""  # who may connect to PostgreSQL (CIDR); "" = the host itself

    @classmethod
    def from_env(cls) -> TeamConfig:
        found = settings()
        root = found.team_dir or repo_root() / "runs" / "team"
        return cls(
            root=root.expanduser().resolve(),
            host=found.team_host,
            port=found.team_port,
            pg_port=found.pg_port,
            admin_user=found.admin_user,
            default_permission=found.team_default_permission,
            workers=found.team_workers,
            network=found.team_network,
        )

    @property
    def pgdata(self) -> Path:
        return self.root / "pg"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def tracking_uri(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}"

    def db_uri(self, database: str, *, driver: str = "postgresql") -> str:
        """A database URI without the password (the server gets it as PGPASSWORD)."""
        return f"{driver}://{DB_USER}@{url_host(self.host)}:{self.pg_port}/{database}"


def url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def admin_password() -> str:
    """The admin password from the environment: required, never defaulted, 12+ characters."""
    value = settings().admin_password or ""
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


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter, made so in one step (never briefly open)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    path.chmod(0o700)
    return path


def write_secret(path: Path, value: str, *, uid: int = -1, gid: int = -1) -> None:
    """Create `path` 0600 in one step (O_EXCL: never an existing or linked file), owned
    by `uid` when given, and only then write the secret into it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        if uid != -1:
            os.fchown(fh.fileno(), uid, gid)
        fh.write(value)


def team_secret(cfg: TeamConfig, name: str) -> str:
    """A generated secret kept in the team folder (0600 in a 0700 folder), made on first
    use."""
    path = private_dir(cfg.secrets_dir) / name
    if not path.exists():
        write_secret(path, secrets.token_urlsafe(24))
    return path.read_text().strip()


def db_password(cfg: TeamConfig) -> str:
    """The bootstrap superuser's password (the admin's and the MLflow server's)."""
    return team_secret(cfg, "pg-password")


def owner_password(cfg: TeamConfig) -> str:
    """The journal owner's password (migrations, budgets)."""
    return team_secret(cfg, "pg-owner-password")


def check_member_name(name: str) -> str:
    """A member's name: one login for MLflow and PostgreSQL, so a plain slug."""
    if (
        not re.fullmatch(r"[a-z][a-z0-9_]{1,30}", name)
        or name in RESERVED_NAMES
        or name.startswith("pg_")  # PostgreSQL's own roles
    ):
        raise UsageError(
            f"{name!r} cannot be a member's name",
            hint="use 2-31 lowercase letters, digits or _ starting with a letter; not pg_...,"
            " nor " + ", ".join(sorted(RESERVED_NAMES)),
        )
    return name
