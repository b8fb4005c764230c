"""Issue 13, part 1: the MLflow store is never half-made, and a half-made one is repaired.

- A first sweep on a fresh TAKELAB_HOME is SIGKILLed at random moments while the store is
  being made; every later sweep logs to MLflow with no manual step.
  `TAKELAB_KILL_TRIALS` sets the number of trials (a few by default; `make faults-long`
  runs 30).
- A store left half-made by a real MLflow migration killed at the three points of the
  issue (`duplicate column name: routing_strategy`, `_alembic_tmp_experiments`,
  `guardrails already exists`) is named by sweeps and `sync` (not "unreachable"), and
  `takelab doctor` moves it aside, rebuilds it and logs every journal take again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from broken_store import NAMES, STATES, half_made_store, kill_migration
from conftest import ROOT
from takelab.cli import main
from takelab.doctor.diagnose import doctor
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep
from takelab.tracking.store import CACHE_ENV, ensure_store, schema_problem
from takelab.tracking.tracker import Tracker
from team_server import TeamServer

pytestmark = pytest.mark.faults

TRIALS = int(os.environ.get("TAKELAB_KILL_TRIALS", "3"))
DRIVER = (
    "import sys\n"
    "from takelab.sweep.run import run_sweep\n"
    "r = run_sweep(sys.argv[1], progress=False)\n"
    "print(r.describe())\n"
    "print('sweep run:', r.sweep_run_id)\n"
)
PROJECT = """\
project: first-run
defaults: {duration: 1, aspect: "16:9", resolution: 144p}
shots:
  - id: boat
    variants:
      - id: v1
        prompt: A paper boat drifts down a gutter, slow dolly, soft morning light
"""


def child_env(home: Path, cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TAKELAB_HOME": str(home),
        CACHE_ENV: str(cache),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), str(ROOT / "tests")]),
    }


def scratch(home: Path, cache: Path) -> list[Path]:
    """Temporary store files: present while a store or template is being made."""
    return [*home.glob("mlflow.db.tmp-*"), *cache.glob("*.tmp-*")]


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.02)


def sweep(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(project)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_first_sweep_killed_while_the_store_is_made_never_blocks_tracking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "first-run.yaml"
    project.write_text(PROJECT)
    # Calibration: how long a first sweep takes to make its store (from taking the store's
    # lock to the store in place), with no template yet.
    home, cache = tmp_path / "calib" / "home", tmp_path / "calib" / "cache"
    proc = sweep(project, child_env(home, cache))
    wait_for(home / ".mlflow.db.lock", proc)
    started = time.monotonic()
    wait_for(home / "mlflow.db", proc)
    made_in = time.monotonic() - started
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    rng = random.Random(13)
    during = with_file = 0
    for trial in range(TRIALS):
        home, cache = tmp_path / f"t{trial}" / "home", tmp_path / f"t{trial}" / "cache"
        # Most trials build the template too (the slow, migrating part); some find it.
        cache = cache if trial % 4 else tmp_path / "calib" / "cache"
        proc = sweep(project, child_env(home, cache))
        wait_for(home / ".mlflow.db.lock", proc)  # the store is being made from here on
        time.sleep(rng.uniform(0.0, made_in * (1.1 if cache.name == "cache" else 0.2)))
        if not (home / "mlflow.db").exists():  # killed while its store was being made
            during += 1
            with_file += bool(scratch(home, cache))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (home / "mlflow.db").exists():  # a killed first run leaves no store or a whole one
            assert schema_problem(f"sqlite:///{home / 'mlflow.db'}") is None
        # Every later sweep logs to MLflow, with no step in between.
        monkeypatch.setenv(CACHE_ENV, str(cache))
        for attempt in range(2):
            result = run_sweep(project, progress=False, home=Home(home))
            assert result.sweep_run_id is not None, result.warnings
            assert not [w for w in result.warnings if "MLflow" in w], result.warnings
            takes = Journal(home / "journal.sqlite").takes(project="first-run")
            assert [t.state for t in takes] == [TakeState.DONE] and takes[0].logged, attempt
        assert not scratch(home, cache), "temporary store files were left"
        tracker = Tracker(Home(home))
        exp = tracker.client.get_experiment_by_name("first-run")
        assert exp is not None
        runs = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
        assert len(runs) == 1
    print(
        f"{TRIALS} first sweeps killed, {during} while their store was being made"
        f" ({with_file} of them with a half-made store or template file on disk)"
    )
    assert during >= TRIALS // 2, "the kills did not land while the store was being made"


def test_first_runs_at_the_same_moment_make_one_store(tmp_path: Path) -> None:
    home, cache = tmp_path / "home", tmp_path / "cache"
    code = "from takelab.tracking.tracker import Tracker; Tracker().client.search_experiments()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=child_env(home, cache), stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-2000:]
    assert schema_problem(f"sqlite:///{home / 'mlflow.db'}") is None
    assert not scratch(home, cache)


@pytest.mark.parametrize("state", sorted(STATES))
def test_doctor_repairs_a_store_left_half_made_by_a_killed_migration(
    state: str, project_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home.from_env()
    # A first sweep on a good store, with a verdict: all of it must come back.
    first = run_sweep(project_file, shots=["cat"], progress=False)
    assert first.counts == {"done": 2}
    record_verdict(first.outcomes[0].take_id, "reject", ["static"], "nothing moves")
    # The store is replaced by one a killed migration left (as an old takelab let MLflow
    # make it in place).
    home.mlflow_db.unlink()
    half_made_store(home.mlflow_db, state)
    broken = home.mlflow_db.read_bytes()

    # A sweep still journals its takes and names the problem: not "unreachable".
    second = run_sweep(project_file, shots=["walk"], progress=False)
    assert second.counts == {"done": 2} and second.sweep_run_id is None
    warning = " ".join(second.warnings)
    assert "unreachable" not in warning and str(home.mlflow_db) in warning, warning
    assert "takelab doctor" in warning and NAMES[state] in warning, warning
    # `takelab sync` says the same, in one line, without a traceback.
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "damaged" in result.output and "takelab doctor" in result.output, result.output
    assert str(home.mlflow_db) in result.output.replace("\n", ""), result.output

    # doctor --dry-run names it and changes nothing.
    dry = doctor(repair=False)
    assert [p.kind for p in dry.problems] == ["broken-mlflow-store"], dry.problems
    assert home.mlflow_db.read_bytes() == broken
    # doctor moves it aside (byte for byte), rebuilds and logs every journal take again.
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "broken-mlflow-store" in result.output
    aside = list(home.root.glob("mlflow.db.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == broken
    assert schema_problem(f"sqlite:///{home.mlflow_db}") is None
    journal = Journal(home.journal)
    takes = journal.takes()
    assert len(takes) == 4 and all(t.logged for t in takes)
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("mini")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    assert sorted(r.data.tags["takelab.take_id"] for r in runs) == sorted(t.take_id for t in takes)
    by_take = {r.data.tags["takelab.take_id"]: r for r in runs}
    assert by_take[first.outcomes[0].take_id].data.tags["takelab.verdict"] == "reject"
    assert all(r.info.run_id == journal.get(t).run_id for t, r in by_take.items())  # type: ignore[union-attr]
    assert doctor(repair=False).problems == []
    # And the next sweep logs as usual.
    third = run_sweep(project_file, progress=False)
    assert third.sweep_run_id is not None, third.warnings
    assert not [w for w in third.warnings if "MLflow" in w], third.warnings


def test_a_store_behind_the_head_is_upgraded_in_a_copy(tmp_path: Path) -> None:
    """An older, whole store (MLflow was upgraded) is migrated in a copy and renamed in."""
    import sqlalchemy

    home = Home(tmp_path / "old")
    home.root.mkdir()
    kill_at = r"CREATE TABLE guardrails\b"
    half_made_store(home.mlflow_db, "guardrails-exists")
    # Drop what the killed migration made: a whole store one revision behind the head.
    engine = sqlalchemy.create_engine(f"sqlite:///{home.mlflow_db}")
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TABLE guardrails"))
    engine.dispose()
    problem = schema_problem(f"sqlite:///{home.mlflow_db}")
    assert problem is not None and problem.kind == "behind", (problem, kill_at)
    ensure_store(home)
    assert schema_problem(f"sqlite:///{home.mlflow_db}") is None


def test_team_mode_names_an_interrupted_migration_and_the_command_that_finishes_it(
    team_server: TeamServer,
) -> None:
    """The team's MLflow database on PostgreSQL, its migration killed half-way."""
    from urllib.parse import urlsplit

    from takelab.team.config import TeamConfig
    from takelab.team.store import TeamStoreError, check_store, store_problem, upgrade_store

    url = urlsplit(team_server.fresh_database())
    database = url.path.lstrip("/")
    cfg = TeamConfig(
        root=team_server.root,
        port=urlsplit(team_server.tracking_uri).port or 0,
        pg_port=url.port or 0,
    )
    assert store_problem(cfg, database) is None  # empty: the server makes it itself
    sqlalchemy_url = url._replace(scheme="postgresql+psycopg").geturl()
    kill_migration(sqlalchemy_url, STATES["guardrails-exists"][0])
    with pytest.raises(TeamStoreError) as caught:
        check_store(cfg, database)
    message = str(caught.value)
    assert "interrupted" in message and "make team-upgrade" in message, message
    upgrade_store(cfg, database)
    assert store_problem(cfg, database) is None
