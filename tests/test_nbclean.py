"""Notebook outputs never reach git: with the filter `make setup` installs, a notebook that
was run (outputs, counts, the kernel's metadata) leaves `git status` clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from takelab.nbclean import clean_text, post_save
from takes_home import write_project


def with_path(call: Callable[[], None]) -> None:
    """Run `call` with this checkout's lib on PYTHONPATH, for the git filter it starts."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = f"{ROOT / 'lib'}{os.pathsep}{saved or ''}"
    try:
        call()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'lib'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        },
    ).stdout


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_notebooks_are_already_clean(path: Path) -> None:
    """The filter changes nothing in a committed notebook, so checking one out and running
    nothing leaves it clean too."""
    text = path.read_text()
    assert clean_text(text) == text


def test_running_a_notebook_leaves_git_clean(tmp_path: Path, takelab_home: Path) -> None:
    from nbclient import NotebookClient

    repo = tmp_path / "repo"
    write_project(repo / "prompts")
    (repo / "notebooks").mkdir()
    source = nbformat.read(ROOT / "notebooks" / "02_sweep.ipynb", as_version=4)
    params = next(c for c in source.cells if "parameters" in c.metadata.get("tags", []))
    params.source = (
        params.source.replace("prompts/tokyo-rain.yaml", "prompts/mini.yaml")
        .replace('"variants": []', '"variants": ["walk/v1"]')
        .replace('"seeds": 2', '"seeds": 1')
    )
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    notebook = repo / "notebooks" / "02_sweep.ipynb"
    notebook.write_text(clean_text(nbformat.writes(source)))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "clean notebooks")
    committed = notebook.read_text()

    # What Run All in JupyterLab does: execute every cell in notebooks/, then save with the
    # running kernel's spec and language info.
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    ).execute()
    nb.metadata["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    nb.cells[1].metadata["scrolled"] = True
    nbformat.write(nb, notebook)
    ran = notebook.read_text()
    assert ran != committed and "1 takes, 1 done" in ran
    assert json.loads(ran)["metadata"]["language_info"].get("version")
    assert git(repo, "status", "--porcelain") == " M notebooks/02_sweep.ipynb\n"  # no filter yet

    make = subprocess.run(
        [
            "make",
            "-s",
            "-f",
            str(ROOT / "Makefile"),
            "nb-filter",
            f"BIN={Path(sys.executable).parent}",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert make.returncode == 0, make.stderr
    assert "takelab.nbclean" in git(repo, "config", "filter.nbstripout.clean")
    assert git(repo, "diff", "--no-textconv") == ""  # what git would store is unchanged
    # Git reports a file whose size changed without running the filter: Lab's post-save
    # hook (`make lab`) refreshes its record of the file.
    with_path(lambda: post_save(os_path=str(notebook), model={}, contents_manager=None))
    assert git(repo, "status", "--porcelain") == ""
    assert notebook.read_text() == ran  # the outputs stay on disk, for the person running it

    # A real edit is never staged by the hook: it stays for the person to commit.
    edited = nbformat.read(notebook, as_version=4)
    edited.cells[0].source += "\nA new line."
    nbformat.write(edited, notebook)
    with_path(lambda: post_save(os_path=str(notebook), model={}, contents_manager=None))
    assert git(repo, "status", "--porcelain") == " M notebooks/02_sweep.ipynb\n"
    assert git(repo, "diff", "--cached") == ""
