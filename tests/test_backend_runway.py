"""The runway backend against a fake of Runway's API: money, states, keys and resumption."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.runway_fake import IMAGE_TO_VIDEO, OUTPUT, TASK, TEXT_TO_VIDEO, RunwayFake
from takelab.backends import JobState, TakeRequest
from takelab.backends.runway import RunwayBackend
from takelab.errors import MissingKeyError, SubmitError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep
from takelab.tracking.tracker import Tracker

KEY = "canary-secret-123"
PRICE = 0.60  # gen4.5, 5 s: 12 credits/s at $0.01
PROMPT = (
    "A woman in a red raincoat walks toward the camera through the rain at night, "
    "neon signs flickering, slow dolly back"
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunwayFake]:
    # One server per module: starting and stopping one costs half a second.
    with RunwayFake(KEY).running() as running:
        yield running


@pytest.fixture
def fake(server: RunwayFake, monkeypatch: pytest.MonkeyPatch) -> RunwayFake:
    server.reset()
    monkeypatch.setenv("RUNWAYML_API_SECRET", KEY)
    monkeypatch.setenv("RUNWAYML_BASE_URL", server.url)
    monkeypatch.setattr("takelab.secrets.dotenv_paths", lambda: [])
    monkeypatch.setattr(RunwayBackend, "poll_interval_s", 0.01)
    return server


def project(tmp_path: Path, *, duration: float = 5, extra: str = "") -> Path:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"""\
project: rw
defaults:
  duration: {duration:g}
  aspect: "16:9"
  resolution: 720p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: {PROMPT}
{extra}"""
    )
    return path


def sweep(path: Path, backend: str = "runway") -> SweepResult:
    return run_sweep(path, backends=[backend], progress=False, concurrency=1)


def take_run(take_id: str) -> Any:
    client = Tracker(Home.from_env()).client
    exp = client.get_experiment_by_name("rw")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0]


def journal() -> Journal:
    return Journal(Home.from_env().journal)


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


# -- through run_sweep ---------------------------------------------------------------------


def test_take_lands_decodes_and_costs_what_runway_reports(fake: RunwayFake, tmp_path: Path) -> None:
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "done", out.message
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert fake.creates == 1
    (task,) = fake.tasks.values()
    assert task.body == {
        "model": "gen4.5",
        "promptText": PROMPT,
        "ratio": "1280:720",
        "duration": 5,
        "seed": 1,
    }
    # The signed output URL is fetched without the API key.
    assert all("authorization" not in h for h in fake.headers_seen("GET", OUTPUT))
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == "done"
    assert run.data.metrics["cost_usd"] == pytest.approx(PRICE)
    assert journal().spent() == pytest.approx(PRICE)

    again = sweep(path).outcomes
    assert [o.status for o in again] == ["cached"]
    assert fake.creates == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code", "message", "cost"),
    [
        ("safety", "blocked", "SAFETY.INPUT.TEXT", "flagged by content moderation", PRICE),
        ("failure", "failed", "INTERNAL.BAD_OUTPUT.CODE01", "unexpected error", 0.0),
    ],
)
def test_failed_tasks_keep_runways_code_message_and_charge(
    fake: RunwayFake, tmp_path: Path, outcome: str, state: str, code: str, message: str, cost: float
) -> None:
    # Runway charges moderation failures (cost.credits) and refunds others (0 credits).
    fake.outcome = outcome
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == state
    record = journal().get(out.take_id)
    assert record is not None and record.state == state
    assert record.error_code == code
    assert message in (record.error_message or "")
    assert record.cost_usd == pytest.approx(cost)
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == state
    assert run.data.metrics["cost_usd"] == pytest.approx(cost)
    assert journal().spent() == pytest.approx(cost)


def test_transient_poll_errors_wait_as_asked_and_finish(
    fake: RunwayFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(RunwayBackend, "_sleep", lambda self, s: slept.append(s))
    for status in (429, 503):
        body = {"error": "Too many requests." if status == 429 else "Service unavailable."}
        fake.server.fail("GET", TASK, status, body=body, headers={"Retry-After": "3"})
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "done", out.message
    assert fake.creates == 1
    assert len([s for s in slept if s >= 3]) == 2


def test_a_create_whose_reply_is_lost_is_uncertain_and_never_repeated(
    fake: RunwayFake, tmp_path: Path
) -> None:
    fake.server.fail("POST", TEXT_TO_VIDEO, None, after=True)
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "uncertain"
    assert fake.creates == 1  # the task exists at Runway
    assert journal().spent() == pytest.approx(PRICE)  # held until the user resolves it
    (again,) = sweep(path).outcomes
    assert again.status == "uncertain"
    assert fake.creates == 1
    assert journal().spent() == pytest.approx(PRICE)
    # One line says why, and the commands that settle it.
    assert "takelab resolve" in again.message and "--resubmit" in again.message
    assert "--abandon" in again.message and f"${PRICE:.2f}" in again.message


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


def test_a_refused_create_fails_at_no_cost(fake: RunwayFake, tmp_path: Path) -> None:
    issues = [{"code": "invalid", "path": ["ratio"], "message": "Invalid ratio"}]
    fake.server.fail(
        "POST", TEXT_TO_VIDEO, 400, body={"error": "Validation of body failed", "issues": issues}
    )
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "failed"
    record = journal().get(out.take_id)
    assert record is not None
    assert record.error_code == "http-400"
    assert "Validation of body failed" in (record.error_message or "")
    assert record.cost_usd == 0
    assert journal().spent() == 0
    assert fake.creates == 0


def test_a_missing_key_is_named_before_any_request(
    fake: RunwayFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNWAYML_API_SECRET")
    with pytest.raises(MissingKeyError, match="RUNWAYML_API_SECRET"):
        sweep(project(tmp_path))
    assert fake.server.log == []


def test_a_duration_runway_does_not_allow_is_stopped_by_lint(
    fake: RunwayFake, tmp_path: Path
) -> None:
    (out,) = sweep(project(tmp_path, duration=12)).outcomes
    assert out.status == "lint"
    assert "too-long" in out.message
    assert fake.server.log == []
    backend = RunwayBackend()
    for call in (backend.price, backend.create_args):
        with pytest.raises(UsageError, match=r"2, 3, 4, 5, 6, 7, 8, 9, 10 s"):
            call(request(duration_s=12.0))
    with pytest.raises(UsageError, match=r"4, 6, 8 s"):
        RunwayBackend("veo3.1").price(request(model="veo3.1", duration_s=5.0))


def test_the_key_is_never_written_anywhere(
    fake: RunwayFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = project(tmp_path)
    assert sweep(path).outcomes[0].status == "done"
    fake.outcome = "safety"
    fake.server.fail("POST", TEXT_TO_VIDEO, None, after=True)
    more = "".join(f"      - id: {v}\n        prompt: {PROMPT}, {v}\n" for v in ("v2", "v3"))
    statuses = [o.status for o in sweep(project(tmp_path, extra=more)).outcomes]
    assert statuses == ["cached", "uncertain", "blocked"]
    assert fake.server.saw_header_value(KEY)  # it was sent, as it must be
    home = Home.from_env()
    files = [p for p in home.root.rglob("*") if p.is_file()]
    assert home.journal in files and home.mlflow_db in files
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p
    assert KEY not in caplog.text


def test_a_job_past_the_deadline_is_resumed_by_id(
    fake: RunwayFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RunwayBackend, "deadline_s", 0.1)
    fake.hold = True
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "pending"
    record = journal().get(out.take_id)
    (task_id,) = fake.tasks
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id == task_id
    assert journal().spent() == pytest.approx(PRICE)

    fake.hold = False
    (again,) = sweep(path).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert take_run(out.take_id).data.metrics["cost_usd"] == pytest.approx(PRICE)


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


def test_a_wrong_key_or_a_closed_port_creates_nothing(
    fake: RunwayFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWAYML_API_SECRET", "not-the-key")
    with pytest.raises(SubmitError, match="HTTP 401") as err:
        RunwayBackend().submit(request())
    assert err.value.reached_provider is False
    monkeypatch.setenv("RUNWAYML_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(SubmitError, match="could not connect") as err:
        RunwayBackend().submit(request())
    assert err.value.reached_provider is False
    assert fake.creates == 0


def test_an_expired_output_url_fails_the_take_charged_and_settled(
    fake: RunwayFake, tmp_path: Path
) -> None:
    """The task succeeded, but its signed output URL answers 403 (expired): Runway charged
    for the video, so the take ends failed at the cost Runway reports, and a rerun neither
    creates nor downloads again."""
    fake.expire_outputs = True
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "failed", out.message
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "output-expired"
    assert "403" in (record.error_message or "")
    assert record.cost_usd == pytest.approx(PRICE)  # cost.credits of the finished task
    assert journal().spent() == pytest.approx(PRICE)
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == "failed"
    assert run.data.metrics["cost_usd"] == pytest.approx(PRICE)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.count("GET", OUTPUT)
    assert downloads == 1  # a 403 is not retried
    seen = len(fake.server.log)

    fake.expire_outputs = False
    (again,) = sweep(path).outcomes
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.count("GET", OUTPUT) == downloads
    assert len(fake.server.log) == seen  # settled: Runway is not asked anything
    assert journal().spent() == pytest.approx(PRICE)


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
