"""Team mode settings: where the team server runs, its admin password and its secrets."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from takelab.errors import UsageError
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
        return f"http://{url_host(self.host)}:{self.port}"

    def db_uri(self, database: str, *, driver: str = "postgresql") -> str:
        """A database URI without the password (the server gets it as PGPASSWORD)."""
        return f"{driver}://{DB_USER}@{url_host(self.host)}:{self.pg_port}/{database}"


def url_host(host: str) -> str:
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


def team_secret(cfg: TeamConfig, name: str) -> str:
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
    return team_secret(cfg, "pg-password")
