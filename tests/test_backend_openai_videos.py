"""The openai-videos backend against a fake `/v1/videos` gateway: money, states, keys,
resumption, and the retired Sora models."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.openai_videos_fake import CONTENT, VIDEO, VIDEOS, OpenAIVideosFake
from takelab.backends import JobState, TakeRequest
from takelab.backends.lifecycle import ModelRetiredError
from takelab.backends.openai_videos import OpenAIVideosBackend
from takelab.errors import BackendError, MissingKeyError, SubmitError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep
from takelab.tracking.tracker import Tracker

KEY = "canary-secret-123"
PRICE = 0.80  # sora-2, 8 s at $0.10/s
PROMPT = (
    "A black cat jumps onto a windowsill and turns toward the camera, handheld medium shot, "
    "soft morning light through the curtains"
)


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIVideosFake]:
    # One server per module: starting and stopping one costs half a second.
    with OpenAIVideosFake(KEY).running() as running:
        yield running


@pytest.fixture
def fake(server: OpenAIVideosFake, monkeypatch: pytest.MonkeyPatch) -> OpenAIVideosFake:
    server.reset()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("takelab.secrets.dotenv_paths", lambda: [])
    monkeypatch.setattr(OpenAIVideosBackend, "poll_interval_s", 0.01)
    return server


def project(tmp_path: Path, *, duration: float = 8, extra: str = "") -> Path:
    path = tmp_path / "ov.yaml"
    path.write_text(
        f"""\
project: ov
defaults:
  duration: {duration:g}
  aspect: "16:9"
  resolution: 720p
shots:
  - id: cat
    variants:
      - id: v1
        prompt: {PROMPT}
{extra}"""
    )
    return path


def sweep(path: Path, backend: str = "openai-videos") -> SweepResult:
    return run_sweep(path, backends=[backend], progress=False, concurrency=1)


def take_run(take_id: str) -> Any:
    client = Tracker(Home.from_env()).client
    exp = client.get_experiment_by_name("ov")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0]


def journal() -> Journal:
    return Journal(Home.from_env().journal)


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


# -- through run_sweep ---------------------------------------------------------------------


def test_take_lands_decodes_and_costs_the_table_price(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "done", out.message
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert fake.creates == 1
    (job,) = fake.jobs.values()
    assert job.fields == {"prompt": PROMPT, "model": "sora-2", "seconds": "8", "size": "1280x720"}
    assert len(fake.server.log) >= 4  # create, polls, content
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == "done"
    assert run.data.metrics["cost_usd"] == pytest.approx(PRICE)
    assert journal().spent() == pytest.approx(PRICE)

    again = sweep(path).outcomes
    assert [o.status for o in again] == ["cached"]
    assert fake.creates == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code", "message"),
    [
        ("moderation", "blocked", "moderation_blocked", "blocked by our moderation system"),
        ("failure", "failed", "internal_error", "internal error"),
    ],
)
def test_failed_jobs_keep_the_code_and_message_and_cost_nothing(
    fake: OpenAIVideosFake, tmp_path: Path, outcome: str, state: str, code: str, message: str
) -> None:
    fake.outcome = outcome
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == state
    record = journal().get(out.take_id)
    assert record is not None and record.state == state
    assert record.error_code == code
    assert message in (record.error_message or "")
    assert record.cost_usd == 0
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == state
    assert run.data.metrics["cost_usd"] == 0
    assert journal().spent() == 0


def test_transient_poll_errors_wait_as_asked_and_finish(
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(OpenAIVideosBackend, "_sleep", lambda self, s: slept.append(s))
    for status, kind in ((429, "requests"), (503, "server_error")):
        body = {"error": {"message": "Try again later.", "type": kind, "param": None, "code": None}}
        fake.server.fail("GET", VIDEO, status, body=body, headers={"Retry-After": "3"})
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "done", out.message
    assert fake.creates == 1
    assert len([s for s in slept if s >= 3]) == 2


def test_a_create_whose_reply_is_lost_is_uncertain_then_found_never_repeated(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    started = time.time()
    fake.server.fail("POST", VIDEOS, None, after=True)
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "uncertain"
    assert fake.creates == 1  # the job exists on the server
    assert journal().spent() == pytest.approx(PRICE)  # held until the user resolves it
    # The rerun finds the job by listing (reconcile) and finishes it: still one create.
    (again,) = sweep(path).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert journal().spent() == pytest.approx(PRICE)

    # The job is found by what was sent; a repeat (same request) is listed too, and the
    # runner tells them apart by the job ids the journal already knows.
    backend = OpenAIVideosBackend()
    record = journal().get(out.take_id)
    assert record is not None
    (job_id,) = fake.jobs
    assert backend.find_jobs(record.request, since=started) == [job_id]
    assert backend.find_jobs(record.request.model_copy(update={"duration_s": 4.0})) == []
    repeat = backend.submit(record.request.model_copy(update={"seed": 2}))
    assert backend.find_jobs(record.request, since=started) == [repeat, job_id]


def test_a_refused_create_fails_at_no_cost(fake: OpenAIVideosFake, tmp_path: Path) -> None:
    body = {
        "error": {
            "message": "Invalid value for 'size'.",
            "type": "invalid_request_error",
            "param": "size",
            "code": "invalid_value",
        }
    }
    fake.server.fail("POST", VIDEOS, 400, body=body)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "failed"
    record = journal().get(out.take_id)
    assert record is not None
    assert record.error_code == "http-400"
    assert "Invalid value for 'size'" in (record.error_message or "")
    assert record.cost_usd == 0
    assert journal().spent() == 0
    assert fake.creates == 0


def test_a_missing_key_is_named_before_any_request(
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        sweep(project(tmp_path))
    assert fake.server.log == []


def test_a_duration_the_protocol_does_not_allow_is_stopped_by_lint(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    (out,) = sweep(project(tmp_path, duration=10)).outcomes
    assert out.status == "lint"
    assert "too-long" in out.message
    assert fake.server.log == []
    backend = OpenAIVideosBackend()
    for call in (backend.price, backend.create_args):
        with pytest.raises(UsageError, match=r"4, 8, 12 s"):
            call(request(duration_s=10.0))
    with pytest.raises(UsageError, match=r"720p"):
        backend.price(request(resolution="1080p"))  # sora-2 has no 1792x1024


def test_the_key_is_never_written_anywhere(
    fake: OpenAIVideosFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert sweep(project(tmp_path)).outcomes[0].status == "done"
    fake.outcome = "moderation"
    fake.server.fail("POST", VIDEOS, None, after=True)
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
    fake: OpenAIVideosFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OpenAIVideosBackend, "deadline_s", 0.1)
    fake.hold = True
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "pending"
    record = journal().get(out.take_id)
    (job_id,) = fake.jobs
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id == job_id
    assert journal().spent() == pytest.approx(PRICE)

    fake.hold = False
    (again,) = sweep(path).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert take_run(out.take_id).data.metrics["cost_usd"] == pytest.approx(PRICE)


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


def test_a_wrong_key_or_a_closed_port_creates_nothing(
    fake: OpenAIVideosFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-the-key")
    with pytest.raises(SubmitError, match="HTTP 401") as err:
        OpenAIVideosBackend().submit(request())
    assert err.value.reached_provider is False
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(SubmitError, match="could not connect") as err:
        OpenAIVideosBackend().submit(request())
    assert err.value.reached_provider is False
    assert fake.creates == 0


def test_an_expired_video_fails_the_take_charged_and_settled(
    fake: OpenAIVideosFake, tmp_path: Path
) -> None:
    """The job completed, but `download_content` answers 404 in OpenAI's error shape (its
    content is past `expires_at`): the video was made and billed, so the take ends failed at
    the table price, and a rerun neither creates nor downloads again."""
    fake.expire_outputs = True
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "failed", out.message
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "output-expired"
    assert "has expired" in (record.error_message or "")
    assert record.cost_usd == pytest.approx(PRICE)  # the protocol reports no cost
    assert journal().spent() == pytest.approx(PRICE)
    run = take_run(out.take_id)
    assert run.data.tags["takelab.status"] == "failed"
    assert run.data.metrics["cost_usd"] == pytest.approx(PRICE)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.server.count("GET", f"^{CONTENT}$")
    assert downloads == 1  # a 404 is not retried
    seen = len(fake.server.log)

    fake.expire_outputs = False
    (again,) = sweep(path).outcomes
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.server.count("GET", f"^{CONTENT}$") == downloads
    assert len(fake.server.log) == seen  # settled: the server is not asked anything
    assert journal().spent() == pytest.approx(PRICE)


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
