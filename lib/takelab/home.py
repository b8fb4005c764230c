"""Where takelab keeps what it generates: TAKELAB_HOME and its layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from takelab.envfile import repo_root as repo_root  # re-exported: callers import it from here
from takelab.errors import PromptFileError, UsageError
from takelab.settings import settings

# A project id as the project file's `project:` slug is written (no dots, no slashes).
_PROJECT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def resolve_project_path(path_or_id: str | Path) -> Path:
    """Where a project file named by a user is, whatever the current directory.

    A notebook's kernel starts in `notebooks/` while project files are named as
    `prompts/<project>.yaml` from the repository root, so a relative path is tried against
    the current directory, then each folder above it, then the repository root; a bare
    project id (`tokyo-rain`) is looked up as `prompts/<id>.yaml` the same way. An absolute
    path is returned as is. When nothing matches, the path as given comes back, so loading
    it reports the missing file (with a did-you-mean) against what the user wrote; a bare id
    that matches nothing is a `PromptFileError` naming `prompts/<id>.yaml`.
    """
    given = Path(path_or_id).expanduser()
    if given.is_absolute():
        return given
    cwd = Path.cwd()
    roots = [cwd, *cwd.parents]
    if repo_root() not in roots:
        roots.append(repo_root())
    for root in roots:
        if (root / given).exists():
            return root / given
    text = str(path_or_id)
    if _PROJECT_ID.match(text):
        for root in roots:
            for suffix in (".yaml", ".yml"):
                candidate = root / "prompts" / f"{text}{suffix}"
                if candidate.is_file():
                    return candidate
        raise PromptFileError(
            Path("prompts") / f"{text}.yaml",
            f"no project file for project id {text!r}",
            hint="give the project file's path, or put it at prompts/<project>.yaml",
        )
    return given


def check_journal_url(raw: str) -> str:
    """TAKELAB_JOURNAL_URL as given if it is a `postgresql://` URL or a path ending in
    `.sqlite`; anything else (a libpq `host=... password=...` string, a typo) is refused,
    and never echoed: it may hold a password."""
    value = raw.strip()
    if value.startswith(("postgresql://", "postgres://")) or (
        value.endswith(".sqlite") and "://" not in value and "=" not in value
    ):
        return value
    kind = "a libpq keyword string" if "=" in value else "neither a URL nor a .sqlite path"
    raise UsageError(
        f"TAKELAB_JOURNAL_URL is {kind}; it is not used (its value is not shown: it may hold"
        " a password)",
        hint="set it to postgresql://USER:PASSWORD@HOST:PORT/DB (what `make team-up` prints),"
        " or a path ending in .sqlite, or unset it for the local journal",
    )


@dataclass(frozen=True)
class Home:
    """The store: journal, MLflow database and artifacts, take files, sweeps and cuts."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        """TAKELAB_HOME if set, else `runs/` at the repository root."""
        raw = settings().home
        root = raw.expanduser() if raw else repo_root() / "runs"
        return cls(root.resolve())

    def ensure(self) -> Home:
        for sub in (self.root, self.takes, self.sweeps, self.cuts, self.tmp):
            sub.mkdir(parents=True, exist_ok=True)
        return self

    @property
    def journal(self) -> Path:
        return self.root / "journal.sqlite"

    @property
    def journal_url(self) -> str | Path:
        """TAKELAB_JOURNAL_URL if set (a team's PostgreSQL), else the local journal file."""
        raw = settings().journal_url
        return check_journal_url(raw) if raw else self.journal

    @property
    def shared_journal(self) -> bool:
        """Whether the journal is a team's (its takes' files may be on other machines)."""
        return bool(settings().journal_url)

    @property
    def has_journal(self) -> bool:
        """Whether there is a journal to read (a team journal always counts)."""
        return self.shared_journal or self.journal.exists()

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def artifacts(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def takes(self) -> Path:
        return self.root / "takes"

    @property
    def sweeps(self) -> Path:
        return self.root / "sweeps"

    @property
    def cuts(self) -> Path:
        return self.root / "cuts"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def take_dir(self, take_id: str) -> Path:
        return self.takes / take_id

    @property
    def tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI if set (a team server), else the local SQLite store."""
        uri = settings().mlflow_tracking_uri
        if not uri and settings().journal_url:
            # A shared journal with a private MLflow would bind takes to runs that the
            # other clients cannot see.
            raise UsageError(
                "TAKELAB_JOURNAL_URL points at a team journal, but MLFLOW_TRACKING_URI is unset",
                hint="export the MLflow settings that `make team-up` printed",
            )
        return uri or f"sqlite:///{self.mlflow_db}"
