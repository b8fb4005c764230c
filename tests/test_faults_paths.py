"""Issue 5, item 9: paths.

Ids are slugs, so no id can climb out of a directory; an `image:` outside the project
file's folder (symlinks resolved) is refused unless the file says
`allow_external_images: true`; and a sweep, from the library or the command line, writes
nothing outside TAKELAB_HOME: not in the directory it runs from, not beside the project
file, not in the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT
from takelab.errors import PromptFileError
from takelab.home import Home
from takelab.project.model import load_project
from takelab.sweep.run import run_sweep

STREET = ROOT / "prompts" / "refs" / "street.png"
IGNORED = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}


def project_text(
    *, name: str = "paths", shot: str = "walk", variant: str = "v1", image: str | None = None
) -> str:
    text = f"""\
project: {name}
defaults:
  duration: 1
  aspect: "16:9"
  resolution: 480p
shots:
  - id: {shot}
    variants:
      - id: {variant}
        prompt: A woman walks toward the camera at night, neon light flickering on, slow dolly
"""
    if image is not None:
        text += f"        image: {image}\n"
    return text


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "paths.yaml"
    path.write_text(text)
    return path


def refused(path: Path) -> PromptFileError:
    with pytest.raises(PromptFileError) as info:
        load_project(path)
    assert info.value.line is not None and info.value.hint, str(info.value)
    return info.value


# --- ids ------------------------------------------------------------------------------------

PATH_LIKE = ["../x", "a/b", "..", "/etc", "a\\b", ".hidden", "x/../../y", "~root", "a b", "."]


@pytest.mark.faults
@pytest.mark.parametrize("where", ["name", "shot", "variant"])
@pytest.mark.parametrize("value", PATH_LIKE)
def test_a_path_like_id_is_refused(tmp_path: Path, where: str, value: str) -> None:
    path = write(tmp_path, project_text(**{where: f'"{value}"'}))
    err = refused(path)
    assert (
        "is not a slug" in err.message and err.line == {"name": 1, "shot": 7, "variant": 9}[where]
    )


# --- images ---------------------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A project folder with refs/frame.png, and an image beside (outside) the folder."""
    folder = tmp_path / "project"
    (folder / "refs").mkdir(parents=True)
    shutil.copy(STREET, folder / "refs" / "frame.png")
    outside = tmp_path / "outside.png"
    shutil.copy(STREET, outside)
    return folder, outside


@pytest.mark.faults
@pytest.mark.parametrize("image", ["refs/frame.png", "refs/../refs/frame.png", "./refs/frame.png"])
def test_an_image_inside_the_project_folder_loads(layout: tuple[Path, Path], image: str) -> None:
    folder, _ = layout
    project = load_project(write(folder, project_text(image=image)))
    variant = project.shots[0].variants[0]
    assert project.image_path(variant) == (folder / "refs" / "frame.png").resolve()
    assert project.allow_external_images is False


@pytest.mark.faults
@pytest.mark.parametrize("kind", ["parent", "absolute", "symlink", "symlinked-folder", "missing"])
def test_an_image_outside_the_project_folder_is_refused(
    layout: tuple[Path, Path], kind: str
) -> None:
    folder, outside = layout
    if kind == "symlink":
        (folder / "refs" / "link.png").symlink_to(outside)
    if kind == "symlinked-folder":
        (folder / "elsewhere").symlink_to(outside.parent, target_is_directory=True)
    image = {
        "parent": "../outside.png",
        "absolute": str(outside),
        "symlink": "refs/link.png",
        "symlinked-folder": "elsewhere/outside.png",
        "missing": "../../no/such/file.png",  # refused as outside, never looked for
    }[kind]
    err = refused(write(folder, project_text(image=image)))
    assert "outside the project file's folder" in err.message, str(err)
    assert err.line == 11  # the image: line
    assert err.hint is not None and "allow_external_images: true" in err.hint
    assert "move the image next to the project" in err.hint


@pytest.mark.faults
def test_allow_external_images_lets_an_outside_image_in(layout: tuple[Path, Path]) -> None:
    folder, outside = layout
    text = "allow_external_images: true\n" + project_text(image=str(outside))
    project = load_project(write(folder, text))
    assert project.allow_external_images is True
    assert project.image_path(project.shots[0].variants[0]) == outside.resolve()
    # Allowed outside is still checked for existence.
    missing = "allow_external_images: true\n" + project_text(image="../nope.png")
    assert "not found" in refused(write(folder, missing)).message


@pytest.mark.faults
@pytest.mark.parametrize("value", ['"yes"', "1", "[true]", "maybe"])
def test_allow_external_images_must_be_true_or_false(tmp_path: Path, value: str) -> None:
    err = refused(write(tmp_path, f"allow_external_images: {value}\n" + project_text()))
    assert err.line == 1 and "true or false" in err.message


# --- nothing is written outside TAKELAB_HOME ------------------------------------------------

Snapshot = dict[str, tuple[int, int] | None]


def snapshot(root: Path) -> Snapshot:
    """Every file (mtime, size) and directory (None) under `root`, caches left out."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED)
        for name in dirnames:
            out[os.path.join(dirpath, name)] = None
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_mtime_ns, st.st_size)
    return out


def tracked_files() -> Snapshot:
    """The repository's tracked files, (mtime, size) each; empty outside a git checkout."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return {}
    names = subprocess.run(
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    out: Snapshot = {}
    for name in filter(None, names):
        path = ROOT / os.fsdecode(name)
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        out[str(path)] = (st.st_mtime_ns, st.st_size)
    return out


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k, 0) != after.get(k, 0))


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh directory to run from, and a project (one take with a first frame)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    folder = tmp_path / "project"
    (folder / "refs").mkdir(parents=True)
    shutil.copy(STREET, folder / "refs" / "frame.png")
    text = project_text(image="refs/frame.png") + (
        "      - id: v2\n"
        "        prompt: A black cat jumps onto a windowsill, handheld medium shot, soft light\n"
    )
    return cwd, write(folder, text)


def _sweep_writes_only_in_home(cwd: Path, project: Path, run: Callable[[], None]) -> None:
    home = Home.from_env()
    watched = [cwd, project.parent]
    before = [snapshot(p) for p in watched], tracked_files()
    run()
    after = [snapshot(p) for p in watched], tracked_files()
    for place, b, a in zip(watched, before[0], after[0], strict=True):
        assert changes(b, a) == [], f"written in {place}"
    if shutil.which("git") and (ROOT / ".git").exists():
        assert before[1], "git lists no tracked files"
    assert changes(before[1], after[1]) == [], "written in the repository"
    assert len(list(home.takes.glob("*/take.mp4"))) == 2, "the takes are in TAKELAB_HOME"


@pytest.mark.faults
def test_a_library_sweep_writes_only_in_takelab_home(
    places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, project = places
    monkeypatch.chdir(cwd)

    def run() -> None:
        result = run_sweep(project, progress=False)
        assert result.counts == {"done": 2}, result.summary

    _sweep_writes_only_in_home(cwd, project, run)


@pytest.mark.faults
def test_a_command_line_sweep_writes_only_in_takelab_home(places: tuple[Path, Path]) -> None:
    cwd, project = places

    def run() -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "takelab", "sweep", str(project)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "2 done" in proc.stdout, proc.stdout
        # The local kernel's "TCP without encryption" warning is not shown (issue 13).
        assert "without encryption" not in proc.stderr, proc.stderr

    _sweep_writes_only_in_home(cwd, project, run)
