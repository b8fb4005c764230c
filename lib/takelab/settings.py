"""Every setting takelab reads from its environment, in one place: `Settings`.

Each setting is an environment variable with a type, a default and a description.
Where a value may come from, highest first:

1. the process environment;
2. the user's own settings file (`TAKELAB_SETTINGS`, else
   `$XDG_CONFIG_HOME/takelab/settings.env`), for every setting but secrets;
3. a git-ignored `.env` (current directory, then the repository root), for provider keys
   only: a project folder sent by someone else may hold a `.env`, and it must not choose
   where keys are sent (endpoints), what code is loaded (`TAKELAB_BACKENDS`) or where the
   journal lives;
4. the default.

`settings()` reads them once and again only when one of the variables, the settings file
or a `.env` changed (tests change the environment per test). A bad value is one
`SettingsError` naming each variable. `takelab doctor --settings` prints every setting
with its source, secrets masked (`describe`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from takelab import envfile
from takelab.errors import SettingsError

SETTINGS_ENV = "TAKELAB_SETTINGS"

Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Port = Annotated[int, Field(ge=1, le=65535)]


def _setting(
    variable: str,
    default: Any,
    description: str,
    *,
    secret: bool = False,
    dotenv: bool = False,
    user_file: bool = True,
) -> Any:
    """A field read from `variable`. `secret`: masked when shown; `dotenv`: may come from a
    `.env`; `user_file`: may come from the user's settings file."""
    return Field(
        default,
        validation_alias=variable,
        description=description,
        json_schema_extra={"secret": secret, "dotenv": dotenv, "user_file": user_file},
    )


def _key(variable: str, provider: str) -> Any:
    return _setting(
        variable, None, f"{provider} API key (environment or .env only)", secret=True, dotenv=True
    )


class Settings(BaseSettings):
    """Every environment variable takelab reads, typed and documented (see module doc)."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        extra="ignore",
        env_ignore_empty=True,  # VAR= counts as unset, as it always did
        str_strip_whitespace=True,
        frozen=True,
    )

    # -- where things are --------------------------------------------------------------
    home: Path | None = _setting(
        "TAKELAB_HOME", None, "the store (journal, MLflow, take files); default runs/ in the repo"
    )
    journal_url: str | None = _setting(
        "TAKELAB_JOURNAL_URL",
        None,
        "a team's journal: postgresql://USER:PASSWORD@HOST:PORT/DB or a .sqlite path;"
        " default the local journal in TAKELAB_HOME (its password is masked)",
        secret=True,
    )
    settings_file: Path | None = _setting(
        SETTINGS_ENV,
        None,
        "the user's settings file (KEY=value lines; endpoints and other non-secrets);"
        " default $XDG_CONFIG_HOME/takelab/settings.env",
        user_file=False,
    )
    cache_dir: Path | None = _setting(
        "TAKELAB_CACHE_DIR", None, "MLflow store templates; default ~/.cache/takelab"
    )
    ui_url: str = _setting(
        "TAKELAB_UI_URL", "http://127.0.0.1:5000", "the MLflow UI that take links point at"
    )
    # -- backends ----------------------------------------------------------------------
    backends: str = _setting(
        "TAKELAB_BACKENDS", "", "extra backends: name=module:attr,... (never from a .env)"
    )
    poll_interval_s: Seconds | None = _setting(
        "TAKELAB_POLL_INTERVAL_S", None, "seconds between polls for every provider backend"
    )
    max_download_mb: PositiveSeconds = _setting(
        "TAKELAB_MAX_DOWNLOAD_MB", 1024.0, "the largest take file downloaded, in MB"
    )
    fal_queue_url: str | None = _setting(
        "TAKELAB_FAL_QUEUE_URL", None, "fal's queue base URL (an endpoint: never from a .env)"
    )
    reconcile_grace_s: Seconds = _setting(
        "TAKELAB_RECONCILE_GRACE_S",
        600.0,
        "seconds before a provider's job list is trusted to say an uncertain take has no job",
    )
    # -- project files and review --------------------------------------------------------
    max_project_bytes: Annotated[int, Field(gt=0)] = _setting(
        "TAKELAB_MAX_PROJECT_BYTES", 1_000_000, "the largest project file loaded, in bytes"
    )
    extra_reasons: str = _setting(
        "TAKELAB_EXTRA_REASONS", "", "reason tags added to the fixed list (comma list)"
    )
    # -- a sweep run in a notebook kernel (set by the CLI for the kernel) ----------------
    progress_file: Path | None = _setting(
        "TAKELAB_PROGRESS_FILE", None, "where a kernel's sweep writes progress (set by the CLI)"
    )
    stop_file: Path | None = _setting(
        "TAKELAB_STOP_FILE", None, "a file whose presence stops a kernel's sweep (set by the CLI)"
    )
    # -- local models ------------------------------------------------------------------
    diffusers_device: str = _setting(
        "TAKELAB_DIFFUSERS_DEVICE", "", "cuda, mps or cpu; default the best one present"
    )
    diffusers_dtype: str = _setting(
        "TAKELAB_DIFFUSERS_DTYPE", "", "float32, float16 or bfloat16; default per device"
    )
    diffusers_steps: Annotated[int, Field(ge=1)] | None = _setting(
        "TAKELAB_DIFFUSERS_STEPS", None, "denoising steps; default the model's recommended"
    )
    diffusers_max_s: PositiveSeconds = _setting(
        "TAKELAB_DIFFUSERS_MAX_S", 600.0, "the most seconds one local take may generate"
    )
    gpu_usd_per_hour: Seconds = _setting(
        "TAKELAB_GPU_USD_PER_HOUR", 2.50, "what a local take is charged per GPU hour"
    )
    diffusers_svd: str = _setting(
        "TAKELAB_DIFFUSERS_SVD", "", "other weights for diffusers:svd (folder or hub id)"
    )
    diffusers_ltx: str = _setting(
        "TAKELAB_DIFFUSERS_LTX", "", "other weights for diffusers:ltx (folder or hub id)"
    )
    diffusers_wan: str = _setting(
        "TAKELAB_DIFFUSERS_WAN", "", "other weights for diffusers:wan (folder or hub id)"
    )
    # -- content credentials -----------------------------------------------------------
    c2pa_cert: Path | None = _setting(
        "TAKELAB_C2PA_CERT", None, "the certificate chain (PEM) a cut is signed with"
    )
    c2pa_key: Path | None = _setting(
        "TAKELAB_C2PA_KEY", None, "the private key file (PEM) a cut is signed with"
    )
    c2pa_trust: Path | None = _setting(
        "TAKELAB_C2PA_TRUST", None, "the trust anchors (PEM) signed cuts are checked against"
    )
    # -- team mode ---------------------------------------------------------------------
    team_dir: Path | None = _setting(
        "TAKELAB_TEAM_DIR", None, "the team server's files; default runs/team in the repo"
    )
    team_host: str = _setting(
        "TAKELAB_TEAM_HOST", "127.0.0.1", "the address the team server listens on"
    )
    team_port: Port = _setting("TAKELAB_TEAM_PORT", 5000, "the team MLflow server's port")
    pg_port: Port = _setting("TAKELAB_PG_PORT", 5432, "the team PostgreSQL's port")
    admin_user: str = _setting("TAKELAB_ADMIN_USER", "admin", "the team server's admin user")
    admin_password: str | None = _setting(
        "TAKELAB_ADMIN_PASSWORD",
        None,
        "the team admin's password (12+ characters; environment only)",
        secret=True,
    )
    member_password: str | None = _setting(
        "TAKELAB_MEMBER_PASSWORD",
        None,
        "the password `add-member` gives; default a random one",
        secret=True,
    )
    team_default_permission: str = _setting(
        "TAKELAB_TEAM_DEFAULT_PERMISSION", "READ", "what members may do with others' runs"
    )
    team_workers: Annotated[int, Field(ge=1)] = _setting(
        "TAKELAB_TEAM_WORKERS", 2, "the team MLflow server's worker processes"
    )
    team_network: str = _setting(
        "TAKELAB_TEAM_NETWORK", "", "who may reach PostgreSQL (CIDR); default the host itself"
    )
    team_mlflow_user: str = _setting(
        "TAKELAB_TEAM_MLFLOW_USER", "nobody", "the unprivileged user the MLflow server runs as"
    )
    team_allowed_hosts: str = _setting(
        "TAKELAB_TEAM_ALLOWED_HOSTS", "", "extra Host headers the team server accepts"
    )
    # -- MLflow (read by MLflow itself too: environment only) -----------------------------
    mlflow_tracking_uri: str | None = _setting(
        "MLFLOW_TRACKING_URI",
        None,
        "a team's MLflow server; default the SQLite store in TAKELAB_HOME",
        user_file=False,
    )
    mlflow_tracking_username: str | None = _setting(
        "MLFLOW_TRACKING_USERNAME", None, "the team MLflow login", user_file=False
    )
    mlflow_tracking_password: str | None = _setting(
        "MLFLOW_TRACKING_PASSWORD", None, "the team MLflow password", secret=True, user_file=False
    )
    mlflow_tracking_token: str | None = _setting(
        "MLFLOW_TRACKING_TOKEN", None, "an MLflow bearer token", secret=True, user_file=False
    )
    # -- provider keys -------------------------------------------------------------------
    openai_api_key: str | None = _key("OPENAI_API_KEY", "OpenAI (Sora)")
    runwayml_api_secret: str | None = _key("RUNWAYML_API_SECRET", "Runway")
    fal_key: str | None = _key("FAL_KEY", "fal")
    replicate_api_token: str | None = _key("REPLICATE_API_TOKEN", "Replicate")
    lumaai_api_key: str | None = _key("LUMAAI_API_KEY", "Luma (ray-2)")
    luma_agents_api_key: str | None = _key("LUMA_AGENTS_API_KEY", "Luma Agents (ray-3.2)")
    gemini_api_key: str | None = _key("GEMINI_API_KEY", "Google (Veo)")
    google_api_key: str | None = _key("GOOGLE_API_KEY", "Google (Veo, fallback)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, *_file_sources(settings_cls))

    def __repr_args__(self) -> Any:
        # A Settings object that reaches a log, a traceback or a notebook shows no secret.
        for name, value in super().__repr_args__():
            field = Settings.model_fields.get(name or "")
            variable = str(field.validation_alias) if field else ""
            secret = value is not None and variable in secret_variables()
            yield name, mask(variable, value) if secret else value

    def value_of(self, variable: str) -> Any:
        """The value of the setting read from `variable` (KeyError if there is none)."""
        return getattr(self, _BY_VARIABLE[variable])


def _meta(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def variables() -> dict[str, str]:
    """Every setting's environment variable -> its field name, in declaration order."""
    return {str(info.validation_alias): name for name, info in Settings.model_fields.items()}


_BY_VARIABLE = variables()


def secret_variables() -> tuple[str, ...]:
    """The variables whose values are secrets (keys, passwords, tokens, the journal URL)."""
    fields = Settings.model_fields
    return tuple(v for v, n in _BY_VARIABLE.items() if _meta(fields[n]).get("secret"))


def _allowed(flag: str) -> set[str]:
    fields = Settings.model_fields
    return {v for v, n in _BY_VARIABLE.items() if _meta(fields[n]).get(flag)}


def user_settings_path() -> Path:
    """The user's own settings file: TAKELAB_SETTINGS, else
    `$XDG_CONFIG_HOME/takelab/settings.env` (default `~/.config/takelab/settings.env`)."""
    raw = os.environ.get(SETTINGS_ENV, "").strip()
    if raw:
        return Path(raw).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "takelab" / "settings.env"


class _FileSource(DotEnvSettingsSource):
    """A `KEY=value` file as a source, limited to the variables it may set."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path, allowed: set[str]) -> None:
        super().__init__(settings_cls, env_file=path, env_ignore_empty=True)
        self.path = path
        self.allowed = allowed

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in super().__call__().items() if k in self.allowed}


def _file_sources(settings_cls: type[BaseSettings]) -> list[_FileSource]:
    """The user's settings file, then each `.env` (current directory first)."""
    out = [
        _FileSource(
            settings_cls, user_settings_path(), _allowed("user_file") - set(secret_variables())
        )
    ]
    out += [_FileSource(settings_cls, p, _allowed("dotenv")) for p in envfile.dotenv_paths()]
    return out


def load() -> Settings:
    """Read every setting now; a bad value is a `SettingsError` naming each variable."""
    try:
        return Settings()
    except ValidationError as exc:
        secret = set(secret_variables())
        problems: list[tuple[str, str]] = []
        for error in exc.errors():
            variable = str(error["loc"][0]) if error["loc"] else "?"
            shown = "(not shown)" if variable in secret else repr(error.get("input"))
            problems.append((variable, f"{shown}: {error['msg']}"))
        raise SettingsError(problems) from None


_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], Settings] | None = None


def _fingerprint() -> tuple[Any, ...]:
    # What a read depends on: the variables themselves and the files that may set them.
    env = tuple(os.environ.get(v) for v in (*_BY_VARIABLE, "XDG_CONFIG_HOME"))
    files = tuple(envfile.stamp(p) for p in (user_settings_path(), *envfile.dotenv_paths()))
    return env + files


def settings() -> Settings:
    """The settings, read once and again only when the environment or a file changed."""
    global _cached
    key = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        value = load()
        _cached = (key, value)
    return value


def reset() -> None:
    """Forget the cached settings (the next `settings()` reads everything again)."""
    global _cached
    _cached = None


# -- showing them (takelab doctor --settings) ---------------------------------------------

MASK = "********"


@dataclass(frozen=True)
class Shown:
    """One setting as `takelab doctor --settings` prints it."""

    variable: str
    value: str  # masked when secret; "" when unset
    source: str  # "environment", a file's path, or "default"
    description: str


def mask(variable: str, value: object) -> str:
    """`value` as it may be shown: secrets masked (a URL keeps all but its password)."""
    if value is None or value == "":
        return ""
    text = str(value)
    if variable not in secret_variables():
        return text
    if "://" in text:
        try:
            parts = urlsplit(text)
            if parts.password:
                return text.replace(f":{parts.password}@", f":{MASK}@", 1)
        except ValueError:
            return MASK
        return text
    return MASK


def describe() -> list[Shown]:
    """Every setting, its value (secrets masked) and where it came from. A bad value is
    shown as given (masked if secret) so that the user can see which one to fix."""
    raw: dict[str, tuple[object, str]] = {}
    for file in reversed(_file_sources(Settings)):
        raw.update({k: (v, str(file.path)) for k, v in file().items()})
    raw.update({v: (os.environ[v], "environment") for v in _BY_VARIABLE if os.environ.get(v)})
    try:
        current: Settings | None = settings()
    except SettingsError:
        current = None
    rows: list[Shown] = []
    for variable, name in _BY_VARIABLE.items():
        info = Settings.model_fields[name]
        if variable in raw:
            value, source = raw[variable]
            if current is not None:
                value = getattr(current, name)
        else:
            value, source = info.default, "default"
        rows.append(Shown(variable, mask(variable, value), source, info.description or ""))
    return rows


__all__ = [
    "SETTINGS_ENV",
    "Settings",
    "Shown",
    "describe",
    "load",
    "mask",
    "reset",
    "secret_variables",
    "settings",
    "user_settings_path",
    "variables",
]
