"""The openai-videos backend against a fake `/v1/videos` gateway: money, states, keys,
resumption, and the retired Sora models."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from fakes.contract import fake_fixture, journal, write_project
from fakes.contract import sweep as sweep_on
from fakes.openai_videos_fake import CONTENT, VIDEOS, OpenAIVideosFake
from takelab.backends import JobState, TakeRequest
from takelab.backends.lifecycle import ModelRetiredError
from takelab.backends.openai_videos import OpenAIVideosBackend
from takelab.errors import BackendError, SubmitError, UsageError
from takelab.media import io as media
from takelab.sweep.run import SweepResult

KEY = "canary-secret-123"
PRICE = 0.80  # sora-2, 8 s at $0.10/s
PROMPT = (
    "A black cat jumps onto a windowsill and turns toward the camera, handheld medium shot, "
    "soft morning light through the curtains"
)


fake = fake_fixture("openai-videos")


def project(tmp_path: Path, *, duration: float = 8, extra: str = "") -> Path:
    variant = f"        prompt: {PROMPT}\n"
    return write_project(
        tmp_path, "ov", duration=duration, shot="cat", variant=variant, extra=extra
    )


def sweep(path: Path) -> SweepResult:
    return sweep_on(path, "openai-videos")


def request(**changes: Any) -> TakeRequest:
    base: dict[str, Any] = dict(
        project="ov",
        shot="cat",
        variant="v1",
        prompt=PROMPT,
        backend="openai-videos",
        model="sora-2",
        duration_s=8.0,
        aspect="16:9",
        resolution="720p",
        seed=1,
    )
    return TakeRequest(**{**base, **changes})


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: the protocol's own.


def test_a_job_is_sent_as_the_protocols_form_fields(fake: OpenAIVideosFake) -> None:
    backend = OpenAIVideosBackend()
    job = fake.jobs[backend.submit(request())]
    assert job.fields == {"prompt": PROMPT, "model": "sora-2", "seconds": "8", "size": "1280x720"}
    assert backend.price(request()) == pytest.approx(PRICE)
    with pytest.raises(UsageError, match=r"4, 8, 12 s"):
        backend.create_args(request(duration_s=10.0))
    with pytest.raises(UsageError, match=r"720p"):
        backend.price(request(resolution="1080p"))  # sora-2 has no 1792x1024


def test_a_repeat_of_the_same_request_is_listed_too_newest_first(
    fake: OpenAIVideosFake,
) -> None:
    # The runner tells a lost job from a repeat by the job ids the journal already knows.
    started = time.time()
    backend = OpenAIVideosBackend()
    first = backend.submit(request())
    repeat = backend.submit(request(seed=2))  # no seed in the protocol: the same request
    assert backend.find_jobs(request(), since=started) == [repeat, first]
    assert backend.find_jobs(request(duration_s=4.0)) == []


# -- through run_sweep ---------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [None, "https://api.openai.com/v1"])
def test_retired_sora_models_need_a_gateway(
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_url: str | None
) -> None:
    if base_url is None:
        monkeypatch.delenv("OPENAI_BASE_URL")
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    # The model table refuses it as the sweep is planned, naming the way out.
    with pytest.raises(
        ModelRetiredError, match=r"sora-2 was retired on 2026-09-24.*OPENAI_BASE_URL"
    ):
        sweep(project(tmp_path))
    # Refused before sending: a plain takelab error, which the runner books as not sent.
    with pytest.raises(BackendError, match="retired") as err:
        OpenAIVideosBackend().submit(request())
    assert not isinstance(err.value, SubmitError)
    assert fake.server.log == []


# -- the backend directly ------------------------------------------------------------------


def test_pro_sizes_a_first_frame_and_the_content_download(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    image = tmp_path / "first.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    backend = OpenAIVideosBackend("sora-2-pro")
    req = request(
        model="sora-2-pro",
        aspect="9:16",
        resolution="1080p",
        duration_s=12.0,
        image_path=str(image),
        image_sha256="ab",
    )
    assert backend.price(req) == pytest.approx(0.50 * 12)
    job_id = backend.submit(req)
    job = fake.jobs[job_id]
    assert (job.fields["size"], job.fields["seconds"]) == ("1024x1792", "12")
    assert job.files["input_reference"] == ("first.jpg", image.read_bytes(), "image/jpeg")

    assert backend.poll(job_id).state is JobState.QUEUED
    assert backend.poll(job_id).progress == 0.5
    assert backend.poll(job_id).state is JobState.SUCCEEDED
    dest = backend.fetch(job_id, tmp_path / "out.mp4")
    assert media.check_decodes(dest).duration_s > 0
    assert not list(tmp_path.glob("*.part"))
    (headers,) = [h for m, p, h in fake.server.log if m == "GET" and re.fullmatch(CONTENT, p)]
    assert headers["authorization"] == f"Bearer {KEY}"  # content comes from the API itself


def test_an_uncertain_create_that_made_no_job_is_released_after_the_grace_period(
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.server.fail("POST", VIDEOS, None)  # the connection drops before any job exists
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "uncertain" and fake.creates == 0
    # Within the grace period an empty job list is not trusted: still uncertain, held.
    (again,) = sweep(path).outcomes
    assert again.status == "uncertain" and fake.creates == 0
    assert journal().spent() == pytest.approx(PRICE)
    # Past it, the provider's list proves no job was made: submitted afresh, exactly once.
    monkeypatch.setenv("TAKELAB_RECONCILE_GRACE_S", "0")
    (last,) = sweep(path).outcomes
    assert last.status == "done", last.message
    assert fake.creates == 1
    assert journal().spent() == pytest.approx(PRICE)


def test_dialogue_and_beats_are_sent_in_openais_prompt_layout(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    extra = (
        "        beats:\n"
        "          - {at: 0, action: the cat wakes}\n"
        "          - {at: 4, action: it yawns}\n"
        "        dialogue:\n"
        "          - {speaker: a voice off screen, line: Breakfast!, at: 5}\n"
    )
    (out,) = sweep(project(tmp_path, extra=extra)).outcomes
    assert out.status == "done", out.message
    (job,) = fake.jobs.values()
    blocks = job.fields["prompt"].split("\n\n")
    assert blocks[1] == "Actions:\n- At 0s: the cat wakes.\n- At 4s: it yawns."
    assert blocks[2] == 'Dialogue:\n- a voice off screen says: "Breakfast!"'
