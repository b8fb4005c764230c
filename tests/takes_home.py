"""A store that already holds takes, made once per test session and copied per test.

The widget, notebook and browser tests all need a project with reviewed-able takes; a
sweep of 24 short takes costs ~20 s on two cores, so it runs once and each test gets a
copy (verdicts change the copy, never the original).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SMALL_PROJECT = """\
project: mini            # a comment that must survive
goal: tests
defaults:
  duration: 1
  aspect: "16:9"
  resolution: 480p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman in a red raincoat walks toward the camera at night, neon light
          flickering on, slow dolly back, 1 second
      - id: v2
        subject: a woman in a red raincoat
        action: walks left, then pauses to look up
        camera: slow pan right at eye level
        lighting: neon reflections on wet asphalt, rain easing
  - id: cat
    variants:
      - id: v1
        subject: a black cat
        action: stretches and turns its head toward the window
        camera: static close-up
        lighting: golden hour sun setting through the window
      - id: v2
        prompt: A black cat jumps onto a windowsill, handheld medium shot, soft morning light
"""
BACKENDS = ("previz", "priced")  # priced: tests/fakes/priced.py, $0.10 a second
SEEDS = (1, 2, 3)  # 2 shots x 2 variants x 2 backends x 3 seeds = 24 takes


def write_project(folder: Path, name: str = "mini.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SMALL_PROJECT)
    return path


def swept_home(factory: pytest.TempPathFactory) -> Path:
    """The session's store with 24 finished takes of the `mini` project (built once)."""
    base = factory.getbasetemp() / "swept"
    home = base / "home"
    if (base / "ready").exists():
        return home
    from takelab.home import Home
    from takelab.sweep.run import run_sweep

    project = write_project(base / "proj")
    saved = {k: os.environ.get(k) for k in ("TAKELAB_BACKENDS", "MLFLOW_TRACKING_URI")}
    os.environ["TAKELAB_BACKENDS"] = "priced=fakes.priced:PricedPreviz"
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # the store's own mlflow.db, always
    try:
        result = run_sweep(
            project,
            backends=BACKENDS,
            seeds=list(SEEDS),
            concurrency=2,
            progress=False,
            home=Home(home),
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert result.counts["done"] == 24, result.describe()
    (base / "ready").touch()
    return home


def copy_home(factory: pytest.TempPathFactory, dest: Path) -> Path:
    """A private copy of the session's store at `dest`."""
    shutil.copytree(swept_home(factory), dest)
    return dest
