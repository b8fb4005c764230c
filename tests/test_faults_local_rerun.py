"""Issue 13, part 2: a take of a local backend (previz, diffusers) whose process died is run
again by the next sweep, its partial files cleaned; it is never left `uncertain`.

The kill loop runs `TAKELAB_PREVIZ_KILL_TRIALS` trials (a few by default; `make
faults-long` runs 20). Provider takes keep the no-resend rule: test_faults_crash.py.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from takelab.backends import TakeRequest
from takelab.home import Home
from takelab.journal.store import Claim, Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import TAKE_ARTIFACTS, Tracker

pytestmark = pytest.mark.faults

TRIALS = int(os.environ.get("TAKELAB_PREVIZ_KILL_TRIALS", "3"))
TAKES = 3
DEAD = f"{socket.gethostname()}:999999:0"  # a process that is not running
DRIVER = (
    "import sys\n"
    "from takelab.sweep.run import run_sweep\n"
    "run_sweep(sys.argv[1], progress=False, concurrency=2)\n"
)


def project(folder: Path, trial: int) -> Path:
    variants = "\n".join(
        f"      - id: v{i}\n        prompt: Take {i} of trial {trial}, a red kite climbs over"
        " a beach, slow pan right, golden hour light"
        for i in range(TAKES)
    )
    path = folder / f"kite-{trial}.yaml"
    path.write_text(
        f'project: kite-{trial}\ndefaults:\n  duration: 3\n  aspect: "16:9"\n'
        f"  resolution: 480p\nshots:\n  - id: kite\n    variants:\n{variants}\n"
    )
    return path


def partial_files(home: Home) -> list[Path]:
    return [*home.tmp.glob("*.part"), *home.tmp.glob("previz/*")]


def test_a_previz_sweep_killed_mid_render_is_finished_by_the_rerun(tmp_path: Path) -> None:
    home = Home.from_env()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), str(ROOT / "tests")]),
    }
    rng = random.Random(1313)
    killed_mid_render = 0
    for trial in range(TRIALS):
        path = project(tmp_path, trial)
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Wait for a render to start (its .part file), then kill at a random moment in it.
        while not list(home.tmp.glob("previz/*.part")) and proc.poll() is None:
            time.sleep(0.01)
        # A 3 s 480p render takes well under a second on an idle machine: kill soon.
        time.sleep(rng.uniform(0.0, 0.15))
        if proc.poll() is None:
            if list(home.tmp.glob("previz/*.part")):
                killed_mid_render += 1
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        result = run_sweep(path, progress=False)
        statuses = [o.status for o in result.outcomes]
        assert "uncertain" not in statuses and "failed" not in statuses, result.summary
        check_trial(home, f"kite-{trial}")
    print(f"{TRIALS} previz sweeps killed, {killed_mid_render} while a take was rendering")
    assert killed_mid_render >= max(1, TRIALS // 2)


def check_trial(home: Home, project_id: str) -> None:
    takes = Journal(home.journal).takes(project=project_id)
    assert len(takes) == TAKES
    assert [t.state for t in takes] == [TakeState.DONE] * TAKES, [t.error_message for t in takes]
    for t in takes:
        folder = home.take_dir(t.take_id)
        assert {p.name for p in folder.iterdir()} == set(TAKE_ARTIFACTS)
        media.check_decodes(folder / "take.mp4")
    assert not partial_files(home), partial_files(home)
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name(project_id)
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    assert sorted(r.data.tags["takelab.take_id"] for r in runs) == sorted(t.take_id for t in takes)


def req(backend: str = "previz", model: str = "animatic") -> TakeRequest:
    return TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="a kite climbs",
        backend=backend,
        model=model,
        duration_s=1.0,
        aspect="16:9",
        resolution="480p",
        seed=1,
    )


@pytest.mark.parametrize("state", ["submitting", "submitted", "uncertain"])
def test_a_local_take_of_a_dead_process_restarts_and_a_provider_take_does_not(
    tmp_path: Path, state: str
) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    request = req()
    assert journal.claim(request, 0.0, sweep_id="s1").claim is Claim.NEW
    with journal._connect(write=True) as conn:
        conn.execute(
            "UPDATE takes SET state = ?, owner = ?, job_id = ? WHERE take_id = ?",
            (state, DEAD, "job-1" if state == "submitted" else None, request.take_id),
        )
    # A provider's take: resumed by its job id, or uncertain; never sent again.
    provider = journal.claim(request, 0.0, sweep_id="s2")
    expected = Claim.RESUME if state == "submitted" else Claim.SETTLED
    assert provider.claim is expected
    if state != "submitted":
        assert journal.get(request.take_id).state is TakeState.UNCERTAIN  # type: ignore[union-attr]
    with journal._connect(write=True) as conn:  # the provider sweep died in turn
        conn.execute("UPDATE takes SET owner = ? WHERE take_id = ?", (DEAD, request.take_id))
    # A local backend's take: run again from scratch, reserved anew.
    local = journal.claim(request, 0.0, sweep_id="s3", local=True)
    assert local.claim is Claim.RESTART
    record = journal.get(request.take_id)
    assert record is not None and record.state is TakeState.RESERVED and record.job_id is None


def test_a_local_take_still_running_in_this_process_is_resumed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    request = req(backend="diffusers", model="ltx")
    journal.claim(request, 0.0, sweep_id="s1", local=True)
    journal.mark_submitting(request.take_id)
    journal.record_job(request.take_id, "local-abc")
    # The job lives in this process's worker thread: polled, not started twice.
    assert journal.claim(request, 0.0, sweep_id="s2", local=True).claim is Claim.RESUME


def test_a_restarted_previz_take_has_its_partial_files_removed(project_file: Path) -> None:
    home = Home.from_env()
    first = run_sweep(project_file, shots=["cat"], progress=False)
    take_id = first.outcomes[0].take_id
    journal = Journal(home.journal)
    # As a process killed mid-render leaves it: submitting, a half file, a scratch folder.
    with journal._connect(write=True) as conn:
        conn.execute(
            "UPDATE takes SET state = 'submitting', owner = ? WHERE take_id = ?", (DEAD, take_id)
        )
    half = home.tmp / "previz" / f"previz-{take_id}.mp4.part"
    half.parent.mkdir(parents=True, exist_ok=True)
    half.write_bytes(b"half a video")
    scratch = home.tmp / f"{take_id}.12345.part"
    scratch.mkdir(parents=True)
    (scratch / "take.mp4").write_bytes(b"half")
    again = run_sweep(project_file, shots=["cat"], progress=False)
    by_id = {o.take_id: o.status for o in again.outcomes}
    assert by_id[take_id] == "done", again.summary
    assert not half.exists() and not scratch.exists()
    record = journal.get(take_id)
    assert record is not None and record.state is TakeState.DONE
    media.check_decodes(Path(record.path or ""))
