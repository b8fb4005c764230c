"""Crash at any point: a sweep SIGKILLed at random moments and rerun never pays twice,
never loses a job id, never leaves a partial file, and closes the sweep runs it left open."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from fakes.openai_videos_fake import OpenAIVideosFake
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.tracking.tracker import TAKE_ARTIFACTS, Tracker

pytestmark = pytest.mark.faults

KEY = "canary-crash-key-123"
TRIALS = int(os.environ.get("TAKELAB_CRASH_TRIALS", "20"))
TAKES = 4
DRIVER = (
    "import sys\n"
    "from takelab.sweep.run import run_sweep\n"
    "run_sweep(sys.argv[1], backends=['openai-videos'], progress=False, concurrency=2)\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIVideosFake]:
    with OpenAIVideosFake(key=KEY).running() as fake:
        yield fake


def project(folder: Path, trial: int) -> Path:
    prompts = "\n".join(
        f"      - id: v{i}\n        prompt: Take {i} of trial {trial}, a paper boat drifts"
        " down a gutter, slow dolly, soft morning light"
        for i in range(TAKES)
    )
    path = folder / f"crash-{trial}.yaml"
    path.write_text(
        f'project: crash-{trial}\ndefaults:\n  duration: 4\n  aspect: "16:9"\n'
        f"  resolution: 720p\nshots:\n  - id: boat\n    variants:\n{prompts}\n"
    )
    return path


def run(path: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(path)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_at_random_moments_then_rerun(
    server: OpenAIVideosFake, tmp_path: Path, takelab_home: Path
) -> None:
    env = {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": server.base_url,
        "TAKELAB_POLL_INTERVAL_S": "0.05",
        # The fake lists every job at once, so an empty list can be trusted right away.
        "TAKELAB_RECONCILE_GRACE_S": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    server.polls_to_finish = 3
    rng = random.Random(20261124)
    killed = 0
    for trial in range(TRIALS):
        path = project(tmp_path, trial)
        # Kill once or twice at random moments (imports take ~1.5 s, the sweep ~2-4 s).
        for _ in range(rng.choice([1, 1, 2])):
            proc = run(path, env, tmp_path)
            time.sleep(rng.uniform(1.0, 4.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
        final = run(path, env, tmp_path)
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err.decode()[-3000:]
        check_trial(f"crash-{trial}", server)
    print(f"{TRIALS} trials, {killed} processes killed, {server.creates} creates counted")
    assert killed >= TRIALS // 2  # the kills really happened mid-sweep
    # Every sweep run a killed process left RUNNING was closed on a later start.
    tracker = Tracker(Home.from_env())
    for exp in tracker.client.search_experiments():
        for run_ in tracker.client.search_runs(
            [exp.experiment_id], "tags.`takelab.kind` = 'sweep'"
        ):
            assert run_.info.status != "RUNNING", run_.info


def check_trial(project_id: str, fake: OpenAIVideosFake) -> None:
    home = Home.from_env()
    journal = Journal(home.journal)
    takes = journal.takes(project=project_id)
    assert len(takes) == TAKES
    assert all(t.state is TakeState.DONE for t in takes), [(t.take_id, t.state) for t in takes]
    # Exactly one create per take, and every job the fake made is one the journal holds.
    jobs = {t.job_id for t in takes}
    made = {
        j.id
        for j in fake.jobs.values()
        if f"of trial {project_id.split('-')[1]}," in str(j.fields.get("prompt"))
    }
    assert len(made) == TAKES, made
    assert jobs == made
    for t in takes:
        folder = home.take_dir(t.take_id)
        assert {p.name for p in folder.iterdir()} == set(TAKE_ARTIFACTS)
        media.check_decodes(folder / "take.mp4")
    assert not [p for p in home.takes.rglob("*") if p.name.endswith(".part")]
    # One MLflow run per take id, ever.
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name(project_id)
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    ids = [r.data.tags["takelab.take_id"] for r in runs]
    assert sorted(ids) == sorted(t.take_id for t in takes)
    assert all(r.data.tags["takelab.status"] == "done" for r in runs)
