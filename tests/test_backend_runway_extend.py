"""Runway's extend route (video_to_video, mode extend) against the Runway fake, and its
refusal to be estimated or swept while no price for the model can be cited."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes._server import sample_mp4
from fakes.runway_fake import VIDEO_TO_VIDEO, RunwayFake
from takelab.backends import JobState, TakeRequest
from takelab.backends.runway import RunwayBackend
from takelab.errors import BackendError, PromptFileError
from takelab.media import io as media
from takelab.project import load_project
from takelab.sweep.plan import estimate, plan
from takelab.sweep.run import run_sweep

KEY = "canary-secret-123"
OMNI = "gemini_omni_flash_1.1"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, takelab_home: Path) -> Iterator[RunwayFake]:
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    monkeypatch.setattr("takelab.envfile.dotenv_paths", lambda: [])
    with RunwayFake(KEY, polls_to_finish=2).running() as server:
        monkeypatch.setenv("RUNWAYML_BASE_URL", server.url)
        yield server


def request(**changes: Any) -> TakeRequest:
    base: dict[str, Any] = dict(
        project="rw",
        shot="walk",
        variant="v1",
        prompt="the cat walks on along the windowsill, slow pan",
        backend="runway",
        model=OMNI,
        duration_s=5.0,
        aspect="16:9",
        resolution="720p",
        seed=7,
    )
    return TakeRequest(**{**base, **changes})


def test_extend_goes_to_video_to_video_with_the_parent_clip(
    fake: RunwayFake, tmp_path: Path
) -> None:
    parent = tmp_path / "parent.mp4"
    parent.write_bytes(sample_mp4())
    backend = RunwayBackend(OMNI)
    job = backend.submit(request(extend="0123abcd", extend_path=str(parent)))
    task = fake.tasks[job]
    assert task.endpoint == "video_to_video" and fake.count("POST", VIDEO_TO_VIDEO) == 1
    uri = task.body.pop("videoUri")
    assert uri.startswith("data:video/mp4;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == parent.read_bytes()
    assert task.body == {
        "model": OMNI,
        "promptText": "the cat walks on along the windowsill, slow pan",
        "mode": "extend",
        "duration": 5,  # the footage added
        "ratio": "1280:720",
    }
    while not backend.poll(job).state.terminal:
        pass
    assert backend.poll(job).state is JobState.SUCCEEDED
    out = backend.fetch(job, tmp_path / "child.mp4")
    assert media.check_decodes(out).duration_s > 0


def test_text_to_video_on_the_extend_model_sends_no_seed(fake: RunwayFake) -> None:
    task = fake.tasks[RunwayBackend(OMNI).submit(request(duration_s=8.0))]
    assert task.endpoint == "text_to_video"
    assert "seed" not in task.body and task.body["duration"] == 8


def test_no_cited_price_means_no_estimate_and_no_sweep(fake: RunwayFake, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"cannot be estimated: .*no figure") as caught:
        RunwayBackend(OMNI).price(request())
    assert "prices.py" in (caught.value.hint or "")
    path = tmp_path / "rw.yaml"
    path.write_text(
        "project: rw\ndefaults: {duration: 5, aspect: '16:9', resolution: 720p}\n"
        "shots:\n  - id: walk\n    variants:\n      - id: v1\n"
        "        prompt: a cat walks along a windowsill, slow pan, soft morning light\n"
    )
    with pytest.raises(BackendError, match="cannot be estimated"):
        estimate(plan(load_project(path), backends=[f"runway:{OMNI}"]))
    [out] = run_sweep(path, backends=[f"runway:{OMNI}"], progress=False).outcomes
    assert out.status == "error" and "cannot be estimated" in out.message, out
    assert fake.creates == 0 and fake.server.log == []


def test_extend_on_a_model_that_cannot_is_refused_at_its_line_naming_one_that_can(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rw.yaml"
    path.write_text(
        "project: rw\ndefaults: {duration: 5, aspect: '16:9', resolution: 720p}\n"
        "shots:\n  - id: walk\n    variants:\n      - id: v2\n"
        "        prompt: the cat walks on, slow pan, soft morning light\n"
        "        extend: 0123abcd\n"
    )
    parent = tmp_path / "parent.mp4"
    parent.write_bytes(b"")
    with pytest.raises(PromptFileError, match="cannot extend") as caught:
        plan(load_project(path), backends=["runway"], takes=lambda p: ("0123abcd" * 2, parent))
    assert caught.value.line == 8  # the extend: line
    assert f"runway:{OMNI}" in str(caught.value.hint)
