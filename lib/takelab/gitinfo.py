"""Git facts about a project file: the commit it was read at and whether it has edits."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GitState:
    commit: str | None  # HEAD of the repository holding the file; None outside git
    dirty: bool  # the file differs from HEAD (or is untracked)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state(path: Path) -> GitState:
    """The commit and cleanliness of `path` in its git repository, if it is in one."""
    path = path.resolve()
    commit = _git(path.parent, "rev-parse", "HEAD")
    if commit is None:
        return GitState(None, False)
    status = _git(path.parent, "status", "--porcelain", "--", path.name)
    return GitState(commit, bool(status))
