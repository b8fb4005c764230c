"""Ctrl-C: a sweep stops submitting, keeps submitted jobs resumable, says what happened,
and a rerun finishes the rest without paying twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from fakes.openai_videos_fake import OpenAIVideosFake
from takelab.backends.openai_videos import OpenAIVideosBackend
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.sweep.run import run_sweep

pytestmark = pytest.mark.faults

KEY = "canary-interrupt-key-123"
TAKES = 6


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIVideosFake]:
    with OpenAIVideosFake(key=KEY, polls_to_finish=20).running() as server:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.05")
        monkeypatch.setattr("takelab.envfile.dotenv_paths", lambda: [])
        yield server


def project(folder: Path) -> Path:
    variants = "\n".join(
        f"      - id: v{i}\n        prompt: Take {i}, a kite climbs over a beach, slow pan,"
        " late afternoon sun"
        for i in range(TAKES)
    )
    path = folder / "kites.yaml"
    path.write_text(
        'project: kites\ndefaults:\n  duration: 4\n  aspect: "16:9"\n  resolution: 720p\n'
        f"shots:\n  - id: kite\n    variants:\n{variants}\n"
    )
    return path


def states() -> dict[str, int]:
    out: dict[str, int] = {}
    for t in Journal(Home.from_env().journal).takes(project="kites"):
        out[str(t.state)] = out.get(str(t.state), 0) + 1
    return out


def test_keyboard_interrupt_in_python_stops_submitting_and_rerun_finishes(
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OpenAIVideosBackend, "poll_interval_s", 0.05)
    path = project(tmp_path)

    def interrupt_when_two_are_submitted() -> None:
        deadline = time.monotonic() + 60
        while fake.creates < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_when_two_are_submitted, daemon=True).start()
    result = run_sweep(path, backends=["openai-videos"], concurrency=2, progress=False)
    assert result.interrupted
    assert result.counts["not-started"] >= 1  # nothing new was submitted after Ctrl-C
    assert fake.creates < TAKES
    assert "interrupted" in " ".join(result.warnings)

    again = run_sweep(path, backends=["openai-videos"], concurrency=2, progress=False)
    assert not again.interrupted
    assert states() == {"done": TAKES}
    assert fake.creates == TAKES  # the rerun paid only for what was never submitted


def test_ctrl_c_on_the_cli_then_rerun(fake: OpenAIVideosFake, tmp_path: Path) -> None:
    path = project(tmp_path)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        "-m",
        "takelab",
        "sweep",
        str(path),
        "--backend",
        "openai-videos",
        "--concurrency",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    deadline = time.monotonic() + 120
    while fake.creates < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert fake.creates >= 2, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in out + err
    assert "not-started" in out  # the summary says which takes never went out
    made = fake.creates
    assert made < TAKES
    assert not any(s in states() for s in ("submitting", "uncertain"))

    rerun = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert states() == {"done": TAKES}
    assert fake.creates == TAKES
    assert TakeState.DONE
