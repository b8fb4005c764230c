"""The runway backend against a fake of Runway's API: money, states, keys and resumption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fakes.contract import fake_fixture, journal, write_project
from fakes.contract import sweep as sweep_on
from fakes.runway_fake import IMAGE_TO_VIDEO, OUTPUT, TEXT_TO_VIDEO, RunwayFake
from takelab.backends import JobState, TakeRequest
from takelab.backends.runway import RunwayBackend
from takelab.errors import SubmitError, UsageError
from takelab.journal.store import TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult

KEY = "canary-secret-123"
PRICE = 0.60  # gen4.5, 5 s: 12 credits/s at $0.01
PROMPT = (
    "A woman in a red raincoat walks toward the camera through the rain at night, "
    "neon signs flickering, slow dolly back"
)


fake = fake_fixture("runway")


def project(tmp_path: Path, *, duration: float = 5, extra: str = "") -> Path:
    variant = f"        prompt: {PROMPT}\n"
    return write_project(
        tmp_path, "rw", duration=duration, shot="walk", variant=variant, extra=extra
    )


def sweep(path: Path, backend: str = "runway") -> SweepResult:
    return sweep_on(path, backend)


def request(**changes: Any) -> TakeRequest:
    base: dict[str, Any] = dict(
        project="rw",
        shot="walk",
        variant="v1",
        prompt=PROMPT,
        backend="runway",
        model="gen4.5",
        duration_s=5.0,
        aspect="16:9",
        resolution="720p",
        seed=7,
    )
    return TakeRequest(**{**base, **changes})


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: Runway's own.


def test_a_task_is_sent_in_runways_names_and_its_output_fetched_without_the_key(
    fake: RunwayFake, tmp_path: Path
) -> None:
    backend = RunwayBackend()
    job = backend.submit(request())
    task = fake.tasks[job]
    assert task.endpoint == "text_to_video"
    assert task.body == {
        "model": "gen4.5",
        "promptText": PROMPT,
        "ratio": "1280:720",
        "duration": 5,
        "seed": 7,
    }
    while not (status := backend.poll(job)).state.terminal:
        pass
    assert status.state is JobState.SUCCEEDED
    assert status.cost_usd == pytest.approx(PRICE)  # what Runway reports, not the table
    assert media.check_decodes(backend.fetch(job, tmp_path / "t.mp4")).duration_s > 0
    # The signed output URL is fetched without the API key.
    assert all("authorization" not in h for h in fake.headers_seen("GET", OUTPUT))


def test_each_model_allows_its_own_durations(fake: RunwayFake) -> None:
    with pytest.raises(UsageError, match=r"2, 3, 4, 5, 6, 7, 8, 9, 10 s"):
        RunwayBackend().create_args(request(duration_s=12.0))
    with pytest.raises(UsageError, match=r"4, 6, 8 s"):
        RunwayBackend("veo3.1").price(request(model="veo3.1", duration_s=5.0))


# -- through run_sweep ---------------------------------------------------------------------


def test_resubmit_asks_naming_the_cost_then_sends_the_take_once_more(
    fake: RunwayFake, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from takelab.cli import main

    fake.server.fail("POST", TEXT_TO_VIDEO, None, after=True)
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "uncertain" and fake.creates == 1
    said_no = CliRunner().invoke(main, ["resolve", out.take_id[:8], "--resubmit"], input="n\n")
    assert said_no.exit_code == 1 and f"${PRICE:.2f}" in said_no.output, said_no.output
    assert "a second time" in said_no.output
    assert journal().get(out.take_id).state is TakeState.UNCERTAIN  # type: ignore[union-attr]
    (still,) = sweep(path).outcomes
    assert still.status == "uncertain" and fake.creates == 1
    said_yes = CliRunner().invoke(main, ["resolve", out.take_id[:8], "--resubmit", "--yes"])
    assert said_yes.exit_code == 0, said_yes.output
    (done,) = sweep(path).outcomes
    assert done.status == "done" and fake.creates == 2  # the one create the user asked for


def test_abandon_books_the_price_and_never_sends_again(fake: RunwayFake, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from takelab.cli import main

    fake.server.fail("POST", TEXT_TO_VIDEO, None, after=True)
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    result = CliRunner().invoke(main, ["resolve", out.take_id[:8], "--abandon"], input="y\n")
    assert result.exit_code == 0, result.output
    assert f"${PRICE:.2f}" in result.output and "abandoned" in result.output
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "abandoned" and record.cost_usd == pytest.approx(PRICE)
    assert journal().spent() == pytest.approx(PRICE)
    (again,) = sweep(path).outcomes
    assert again.status == "failed" and fake.creates == 1


# -- the backend directly ------------------------------------------------------------------


def test_a_first_frame_goes_to_image_to_video_as_a_data_uri(
    fake: RunwayFake, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    backend = RunwayBackend("gen4_turbo")
    req = request(model="gen4_turbo", aspect="1:1", image_path=str(image), image_sha256="ab")
    job = backend.submit(req)
    task = fake.tasks[job]
    assert task.endpoint == "image_to_video"
    assert task.body["ratio"] == "960:960"
    assert task.body["promptImage"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert fake.count("POST", IMAGE_TO_VIDEO) == 1

    # Refused before sending: a plain takelab error, which the runner books as not sent.
    with pytest.raises(UsageError, match="first frame only") as err:
        backend.submit(request(model="gen4_turbo"))
    assert not isinstance(err.value, SubmitError)
    assert fake.creates == 1


def test_veo_takes_a_negative_prompt_and_1080p(fake: RunwayFake) -> None:
    backend = RunwayBackend("veo3.1_fast")
    req = request(model="veo3.1_fast", duration_s=6.0, resolution="1080p", negative="text")
    task = fake.tasks[backend.submit(req)]
    assert task.body["negativePrompt"] == "text"
    assert task.body["ratio"] == "1920:1080"
    assert task.body["duration"] == 6
    assert backend.price(req) == pytest.approx(0.15 * 6)


def test_poll_maps_states_and_cancel_stops_a_task(fake: RunwayFake) -> None:
    fake.hold = True
    backend = RunwayBackend()
    job = backend.submit(request())
    assert backend.poll(job).state is JobState.QUEUED
    running = backend.poll(job)
    assert running.state is JobState.RUNNING and running.progress == 0.5
    backend.cancel(job)
    status = backend.poll(job)
    assert status.state is JobState.FAILED and status.error_code == "CANCELLED"
    assert status.cost_usd == 0


def test_an_unreported_moderation_charge_is_taken_from_runways_estimate(
    fake: RunwayFake,
) -> None:
    fake.outcome, fake.report_cost, fake.polls_to_finish = "safety", False, 2
    backend = RunwayBackend()
    job = backend.submit(request())
    while not (status := backend.poll(job)).state.terminal:
        pass
    assert status.state is JobState.BLOCKED
    assert status.cost_usd == pytest.approx(PRICE)  # estimatedCost: 60 credits


def test_veo31_on_runway_takes_a_first_and_last_frame_as_keyframes(
    fake: RunwayFake, tmp_path: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    (tmp_path / "first.png").write_bytes(png)
    (tmp_path / "last.png").write_bytes(png + b"last")
    extra = "        image: first.png\n        end_image: last.png\n"
    (out,) = sweep(project(tmp_path, duration=8, extra=extra), "runway:veo3.1_fast").outcomes
    assert out.status == "done", out.message
    (task,) = fake.tasks.values()
    frames = task.body["promptImage"]
    assert [f["position"] for f in frames] == ["first", "last"]
    assert all(f["uri"].startswith("data:image/png;base64,") for f in frames)


def test_a_last_frame_on_gen45_is_refused_at_its_line(tmp_path: Path) -> None:
    from takelab.errors import PromptFileError
    from takelab.project.model import load_project
    from takelab.sweep.plan import plan

    (tmp_path / "last.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = project(tmp_path, extra="        end_image: last.png\n")
    with pytest.raises(PromptFileError, match=r"end_image.*runway:veo3\.1") as caught:
        plan(load_project(path), backends=["runway:gen4.5"])
    assert caught.value.line == 11
