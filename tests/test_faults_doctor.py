"""Store consistency: `takelab doctor` finds each corruption made on purpose and repairs it."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from takelab.cli import main
from takelab.doctor.diagnose import doctor
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media.probe import file_sha256
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import Tracker

pytestmark = pytest.mark.faults


@pytest.fixture
def swept(project_file: Path) -> list[str]:
    result = run_sweep(project_file, shots=["cat"], progress=False)
    return [o.take_id for o in result.outcomes]


def kinds(dry_run: bool = True) -> list[str]:
    return sorted(p.kind for p in doctor(repair=not dry_run).problems)


def test_a_consistent_store_has_no_problems(swept: list[str]) -> None:
    assert kinds() == []
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0 and "consistent" in result.output


@pytest.mark.parametrize("corruption", ["missing-file", "sha-mismatch"])
def test_a_lost_or_changed_file_is_restored_from_mlflow(swept: list[str], corruption: str) -> None:
    home = Home.from_env()
    take = Journal(home.journal).get(swept[0])
    assert take is not None and take.path
    video = Path(take.path)
    if corruption == "missing-file":
        video.unlink()
    else:
        video.write_bytes(b"not the take any more")
    result = CliRunner().invoke(main, ["doctor", "--dry-run", "--format", "json"])
    assert result.exit_code == 1
    assert [p["kind"] for p in json.loads(result.output)] == [corruption]
    assert not video.exists() or file_sha256(video) != take.sha256  # dry run changed nothing
    report = doctor()
    assert [p.kind for p in report.problems] == [corruption] and not report.unrepaired
    assert file_sha256(video) == take.sha256
    assert kinds() == []


def test_a_run_without_its_take_is_adopted_back_into_the_journal(swept: list[str]) -> None:
    home = Home.from_env()
    before = Journal(home.journal).get(swept[0])
    assert before is not None
    with sqlite3.connect(home.journal) as conn:
        conn.execute("DELETE FROM takes WHERE take_id = ?", (swept[0],))
    assert kinds() == ["run-without-take"]
    assert not doctor().unrepaired
    after = Journal(home.journal).get(swept[0])
    assert after is not None and after.state is TakeState.DONE
    assert after.sha256 == before.sha256 and after.cost_usd == before.cost_usd
    assert kinds() == []


def test_a_take_without_its_run_is_logged_again(swept: list[str]) -> None:
    tracker = Tracker(Home.from_env())
    run_id = tracker.find_take_run("mini", swept[1])
    assert run_id is not None
    tracker.client.delete_run(run_id)
    assert kinds() == ["take-without-run"]
    assert not doctor().unrepaired
    again = tracker.find_take_run("mini", swept[1])
    assert again is not None and again != run_id
    assert kinds() == []


def test_a_sweep_left_running_by_a_dead_process_is_closed(swept: list[str]) -> None:
    home = Home.from_env()
    with sqlite3.connect(home.journal) as conn:
        run_id = conn.execute("SELECT run_id FROM sweeps").fetchone()[0]
        conn.execute(
            "UPDATE sweeps SET status = 'running', owner = ?",
            (f"{socket.gethostname()}:999999:0",),
        )
    tracker = Tracker(home)
    tracker.client.set_terminated(run_id, "RUNNING")
    assert kinds() == ["dead-sweep"]
    assert not doctor().unrepaired
    assert tracker.client.get_run(run_id).info.status == "FAILED"
    assert kinds() == []


def test_scratch_left_by_a_killed_take_is_removed(swept: list[str]) -> None:
    home = Home.from_env()
    scratch = home.tmp / "abc.123.part"
    scratch.mkdir(parents=True)
    (scratch / "take.mp4").write_bytes(b"half")
    assert kinds() == ["scratch"]
    assert not doctor().unrepaired and not scratch.exists()


@pytest.mark.parametrize("name", ["preview.gif", "contact_sheet.png"])
def test_a_deleted_preview_is_made_again_from_the_take(swept: list[str], name: str) -> None:
    from PIL import Image

    folder = Home.from_env().take_dir(swept[0])
    before = Image.open(folder / name)
    size = before.size
    before.close()
    (folder / name).unlink()
    assert kinds() == ["missing-preview"]
    report = doctor()
    assert [p.kind for p in report.problems] == ["missing-preview"] and not report.unrepaired
    with Image.open(folder / name) as again:
        assert again.size == size
        if name.endswith(".gif"):
            assert getattr(again, "n_frames", 1) > 1  # animated, as the sweep made it
    assert not [p for p in folder.iterdir() if ".part" in p.name]
    assert kinds() == []
