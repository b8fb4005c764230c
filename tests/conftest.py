"""Every test runs against an isolated TAKELAB_HOME and the local MLflow store in it."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from takes_home import SMALL_PROJECT
from team_server import TeamServer

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))


@pytest.fixture(scope="session")
def mlflow_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow store: creating one costs seconds, copying it nothing."""
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture(autouse=True)
def takelab_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_store_template: Path
) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(mlflow_store_template, home / "mlflow.db")
    monkeypatch.setenv("TAKELAB_HOME", str(home))
    for var in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "TAKELAB_JOURNAL_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("TAKELAB_PROGRESS_FILE", raising=False)
    # No settings file of the developer's (base URLs) takes part.
    monkeypatch.setenv("TAKELAB_SETTINGS", str(tmp_path / "no-settings.env"))
    # The priced test backend (tests/fakes/priced.py), reachable from papermill kernels too.
    monkeypatch.setenv("TAKELAB_BACKENDS", "priced=fakes.priced:PricedPreviz")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    )
    yield home


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    """A small, fast project: 2 shots x 2 variants, 1 s clips at 480p."""
    path = tmp_path / "proj" / "mini.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(SMALL_PROJECT)
    return path


@pytest.fixture(scope="session")
def team_server() -> Iterator[TeamServer]:
    """PostgreSQL and the authenticated MLflow server of `make team-up`, on loopback ports
    of their own, started once for the tests that ask for it."""
    from team_server import start_team_server

    with start_team_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def journal_at(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's journal lives: a SQLite file, or a fresh database on the team's
    PostgreSQL (the same tests run on both)."""
    if request.param == "sqlite":
        return tmp_path / "j.sqlite"
    server: TeamServer = request.getfixturevalue("team_server")
    return server.fresh_database()
