"""Project files are found the same way whatever the current directory: a notebook's
kernel starts in `notebooks/`, a script anywhere, and both name `prompts/<project>.yaml`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from takelab.errors import PromptFileError
from takelab.home import Home, resolve_project_path
from takelab.journal.store import Journal
from takelab.sweep.run import run_sweep
from takes_home import write_project


def test_paths_resolve_from_the_notebooks_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "notebooks")
    tokyo = ROOT / "prompts" / "tokyo-rain.yaml"
    assert resolve_project_path("prompts/tokyo-rain.yaml").resolve() == tokyo
    assert resolve_project_path("tokyo-rain").resolve() == tokyo
    assert resolve_project_path(tokyo) == tokyo
    with pytest.raises(PromptFileError, match="no project file for project id 'no-such'"):
        resolve_project_path("no-such")
    # A path that exists nowhere comes back as given: loading it names what the user wrote.
    assert resolve_project_path("prompts/typo.yaml") == Path("prompts/typo.yaml")


def test_run_sweep_with_a_relative_path_from_another_folder(
    tmp_path: Path, takelab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "studio"
    write_project(repo / "prompts")
    (repo / "notebooks").mkdir()
    monkeypatch.chdir(repo / "notebooks")  # where Jupyter starts a notebook's kernel
    result = run_sweep(
        "prompts/mini.yaml",
        variants=["walk/v1"],
        seeds=1,
        progress=False,
        home=Home(takelab_home),
    )
    assert [o.status for o in result.outcomes] == ["done"]
    record = Journal(Home(takelab_home).journal_url).get(result.outcomes[0].take_id)
    assert record is not None and record.prompt_file is not None
    assert Path(record.prompt_file).resolve() == (repo / "prompts" / "mini.yaml").resolve()
    assert record.git_commit is None and record.git_dirty is None  # not in git: unknown


def test_the_sweep_notebook_runs_with_its_kernel_in_notebooks(
    tmp_path: Path, takelab_home: Path
) -> None:
    """02_sweep.ipynb as Run All runs it: the kernel's cwd is notebooks/, the project file
    is named relative to the repository."""
    import papermill as pm

    repo = tmp_path / "studio"
    write_project(repo / "prompts")
    (repo / "notebooks").mkdir()
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "02_sweep.ipynb"),
        str(out),
        parameters={
            "spec": {"project_file": "prompts/mini.yaml", "variants": ["cat/v1"], "seeds": 1}
        },
        cwd=str(repo / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    assert "1 takes, 1 done" in out.read_text()
    assert len(Journal(Home(takelab_home).journal_url).takes(project="mini")) == 1


def test_commands_find_project_files_from_another_folder() -> None:
    import subprocess
    import sys

    def takelab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "takelab", *args],
            capture_output=True,
            text=True,
            cwd=ROOT / "notebooks",
            timeout=300,
        )

    lint = takelab("lint", "prompts/tokyo-rain.yaml", "--format", "json")
    assert lint.returncode in (0, 1), lint.stderr  # found and linted (1: an error finding)
    estimate = takelab("estimate", "tokyo-rain")
    assert estimate.returncode == 0 and "total worst case" in estimate.stdout, estimate.stderr
    missing = takelab("lint", "no-such-project")
    assert missing.returncode == 2 and "prompts/no-such-project.yaml" in missing.stderr
