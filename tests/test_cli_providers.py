"""The `takelab` command with the provider backends: a sweep against the openai-videos and
runway fakes from the command line (the fakes run in this process; the CLI and its
papermill kernel find them through the base-URL variables they inherit), the backend
listing, and estimates of the example project on every provider."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from fakes.openai_videos_fake import CONTENT, OpenAIVideosFake
from fakes.runway_fake import OUTPUT, RunwayFake
from provider_keys import KEY_VARS

KEY = "canary-secret-123"
PROVIDERS = ("runway", "veo", "luma", "luma-agents", "fal", "replicate", "openai-videos")
PROJECT = """\
project: cliprov
defaults:
  duration: 4            # sora-2 takes 4, 8 or 12 s; gen4.5 2-10 s
  aspect: "16:9"
  resolution: 720p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman in a red raincoat walks toward the camera at night, neon light
          flickering on, slow dolly back
      - id: v2
        prompt: A black cat jumps onto a windowsill, handheld medium shot, soft morning light
"""
PRICES = {"openai-videos": 0.40, "runway": 0.48}  # sora-2 $0.10/s; gen4.5 12 credits/s


def takelab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "takelab", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpenAIVideosFake, RunwayFake]]:
    """Both fakes on loopback, with the variables a user sets to point takelab at them."""
    with OpenAIVideosFake(KEY).running() as ov, RunwayFake(KEY).running() as rw:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", ov.base_url)
        monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
        monkeypatch.setenv("RUNWAYML_BASE_URL", rw.url)
        monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.01")
        for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
            monkeypatch.delenv(name, raising=False)
        yield ov, rw


def test_a_sweep_runs_on_openai_videos_and_runway_from_the_command_line(
    fakes: tuple[OpenAIVideosFake, RunwayFake], tmp_path: Path
) -> None:
    from takelab.home import Home
    from takelab.tracking.tracker import Tracker

    ov, rw = fakes
    path = tmp_path / "cliprov.yaml"
    path.write_text(PROJECT)
    proc = takelab(
        "sweep", str(path), "--backend", "openai-videos", "--backend", "runway", "--seeds", "1"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "4 done; spent $1.76" in proc.stdout  # 2 x $0.40 + 2 x $0.48

    # One job per take at each fake, each downloaded once.
    assert ov.creates == 2 and rw.creates == 2
    assert ov.server.count("GET", f"^{CONTENT}$") == 2
    assert rw.count("GET", OUTPUT) == 2
    assert {j.fields["seconds"] for j in ov.jobs.values()} == {"4"}
    assert {t.body["duration"] for t in rw.tasks.values()} == {4}

    home = Home.from_env()
    files = sorted(home.takes.glob("*/take.mp4"))
    assert len(files) == 4

    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("cliprov")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    assert len(runs) == 4
    for run in runs:
        assert run.data.tags["takelab.status"] == "done"
        backend = run.data.params["backend"]
        assert run.data.metrics["cost_usd"] == pytest.approx(PRICES[backend]), backend
        # Two waits between three polls: 10 s at the backends' own 5 s interval.
        assert run.data.metrics["latency_s"] < 8, "TAKELAB_POLL_INTERVAL_S did not reach the kernel"

    # A rerun is all cached: nothing is created or downloaded again.
    again = takelab(
        "sweep", str(path), "--backend", "openai-videos", "--backend", "runway", "--seeds", "1"
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "4 cached; spent $0.00" in again.stdout
    assert ov.creates == 2 and rw.creates == 2
    assert sorted(home.takes.glob("*/take.mp4")) == files


def test_backends_lists_every_provider_with_capabilities_and_a_price() -> None:
    proc = takelab("backends", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert {"previz", *PROVIDERS} <= set(rows)
    for name in ("previz", *PROVIDERS):
        row = rows[name]
        assert "error" not in row, row
        assert row["default_model"] in row["models"], name
        assert row["durations"].endswith(" s") and row["aspects"] and row["resolutions"], name
        assert isinstance(row["seed"], bool) and isinstance(row["image_input"], bool), name
        assert row["price"].strip(), f"{name} has no price note"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("veo:veo-3.1-fast-generate-preview", ["2026-10-22", "veo:veo-3.1-fast-generate-001"]),
        ("veo:veo-3.0-generate-001", ["2026-06-30", "veo:veo-3.1-generate-001"]),
        ("openai-videos:sora-2", ["2026-09-24", "no replacement"]),
    ],
)
def test_a_retired_model_is_refused_naming_its_replacement(
    monkeypatch: pytest.MonkeyPatch, spec: str, words: list[str]
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for command in ("estimate", "lint"):
        proc = takelab(command, "prompts/tokyo-rain.yaml", "--backend", spec)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "retired" in proc.stderr and "Traceback" not in proc.stderr
        for word in words:
            assert word in proc.stderr, proc.stderr


def test_every_backend_class_has_a_price_note() -> None:
    from takelab.backends import backend_class

    for name in ("previz", *PROVIDERS):
        assert backend_class(name).price_note.strip(), name


# The example project (prompts/tokyo-rain.yaml: 6 takes of 6 or 8 s, 16:9, 720p, one with a
# first frame) on each provider, and how many of its takes the model can make. Luma (5 or
# 9 s; Ray 3.2 5 or 10 s) and Replicate's Kling (5 or 10 s at 1080p) fit none, so every
# take is blocked by lint; fal's default, Kling 3.0 standard text to video (3-15 s), and
# Wan v2.7 (2-15 s) fit all but the take with a first frame.
ESTIMATES = [
    ("runway", "runway:gen4.5", 6),
    ("veo", "veo:veo-3.1-fast-generate-001", 6),
    ("luma", "luma:ray-2", 0),
    ("luma-agents", "luma-agents:ray-3.2", 0),
    ("fal", "fal:fal-ai/kling-video/v3/standard/text-to-video", 5),
    ("fal:fal-ai/wan/v2.7/text-to-video", "fal:fal-ai/wan/v2.7/text-to-video", 5),
    ("replicate", "replicate:kwaivgi/kling-v2.1-master", 0),
    ("openai-videos", "openai-videos:sora-2", 5),  # sora-2 has no 6 s
]


@pytest.mark.parametrize(("backend", "spec", "runnable"), ESTIMATES)
def test_estimate_prices_the_example_project_on_each_provider_without_a_key(
    monkeypatch: pytest.MonkeyPatch, backend: str, spec: str, runnable: int
) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # keep the table's rows on one line each
    if backend == "openai-videos":  # OpenAI retired sora-2: only a gateway still serves it
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    proc = takelab("estimate", "prompts/tokyo-rain.yaml", "--backend", backend)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    total = re.search(r"total worst case: \$(\d+\.\d\d)", proc.stdout)
    assert total is not None, proc.stdout
    row = next(line for line in proc.stdout.splitlines() if f" {spec} " in line)
    cells = [c.strip() for c in row.strip("│ \n").split("│")]
    assert cells[0] == spec
    assert (int(cells[1]), int(cells[2]), int(cells[3])) == (6, runnable, 6 - runnable)
    assert float(cells[5]) == float(total.group(1))
    assert (float(total.group(1)) > 0) == (runnable > 0)
