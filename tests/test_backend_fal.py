"""The fal backend against a fake of fal's queue: money-safe creates, statuses, keys."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.fal_fake import FILE, STATUS, SUBMIT, FalFake
from takelab.backends import TakeRequest, get_backend
from takelab.backends.fal import HUNYUAN, KLING, LTX, PIKA, WAN, FalBackend
from takelab.errors import MissingKeyError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep
from takelab.tracking.tracker import Tracker

KEY = "canary-secret-123"
PROMPT = (
    "A woman in a red raincoat walks toward the camera at night, neon light flickering on,"
    " slow dolly back"
)
PROJECT = """\
project: falproj
goal: tests
defaults:
  duration: {duration}
  aspect: "16:9"
  resolution: 720p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: {prompt}
"""
real_sleep = time.sleep


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FalFake]:
    with FalFake(key=KEY).running() as f:
        monkeypatch.setenv("FAL_KEY", KEY)
        monkeypatch.setenv("TAKELAB_FAL_QUEUE_URL", f.url)
        monkeypatch.setattr(FalBackend, "poll_interval_s", 0.01)
        yield f


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What the backend's retries asked to wait, while waiting at most 10 ms for real."""
    seen: list[float] = []

    def sleep(seconds: float) -> None:
        seen.append(seconds)
        real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(FalBackend, "_sleep", lambda self, s: sleep(s))
    return seen


def project(tmp_path: Path, duration: float = 5) -> Path:
    path = tmp_path / "proj" / "falproj.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROJECT.format(duration=duration, prompt=PROMPT))
    return path


def sweep(path: Path, spec: str = f"fal:{KLING}") -> SweepResult:
    return run_sweep(path, backends=[spec], progress=False, concurrency=1)


def record(take_id: str) -> TakeRecord:
    rec = Journal(Home.from_env().journal).get(take_id)
    assert rec is not None
    return rec


def take_run_tags_and_metrics(take_id: str) -> tuple[dict[str, str], dict[str, float]]:
    tracker = Tracker(Home.from_env())
    exp = tracker.client.get_experiment_by_name("falproj")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0].data.tags, runs[0].data.metrics


def assert_key_never_stored(caplog: pytest.LogCaptureFixture) -> None:
    home = Home.from_env().root
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in caplog.text


def test_a_take_runs_end_to_end_and_a_rerun_is_cached(
    fake: FalFake, waits: list[float], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = sweep(project(tmp_path))
    (out,) = result.outcomes
    assert out.status == "done", out.message
    assert out.cost_usd == pytest.approx(1.40)
    home = Home.from_env()
    assert out.path == str(home.take_dir(out.take_id) / "take.mp4")
    assert media.check_decodes(Path(out.path)).duration_s > 0
    tags, metrics = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "done"
    assert metrics["cost_usd"] == pytest.approx(1.40)
    assert fake.creates == 1
    (job,) = fake.jobs.values()
    # Kling on fal: duration as the string "5" or "10", no seed control.
    assert job.arguments == {"prompt": PROMPT, "duration": "5", "aspect_ratio": "16:9"}
    assert record(out.take_id).job_id == f"{KLING}|req-0001"
    assert fake.server.saw_header_value(f"Key {KEY}")
    # The video came from the CDN-like URL without the key.
    assert all("authorization" not in h for m, p, h in fake.server.log if p.startswith("/files/"))
    assert_key_never_stored(caplog)

    again = sweep(project(tmp_path))
    assert [o.status for o in again.outcomes] == ["cached"]
    assert again.spend_usd == 0
    assert fake.creates == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code", "message"),
    [
        ("moderation", "blocked", "content_policy_violation", "flagged by a content checker"),
        ("failure", "failed", "runner_server_error", "Runner crashed"),
    ],
)
def test_a_refused_or_failed_job_costs_nothing_and_keeps_fals_reason(
    fake: FalFake,
    waits: list[float],
    tmp_path: Path,
    outcome: str,
    state: str,
    code: str,
    message: str,
) -> None:
    fake.outcome = outcome
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == state
    rec = record(out.take_id)
    assert rec.state == state and rec.cost_usd == 0
    assert rec.error_code == code and message in (rec.error_message or "")
    tags, metrics = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == state and metrics["cost_usd"] == 0
    assert Journal(Home.from_env().journal).spent() == 0
    assert fake.creates == 1


def test_transient_errors_while_polling_are_retried_after_retry_after(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    fake.server.fail("GET", STATUS, 503, count=2, headers={"Retry-After": "3"})
    fake.server.fail("GET", STATUS, 429, count=1)  # the SDK retries 429 itself
    fake.server.fail("GET", FILE, 502, count=1, headers={"Retry-After": "2"})
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "done", out.message
    assert waits.count(3.0) == 2 and 2.0 in waits
    assert fake.creates == 1


def test_a_create_whose_reply_is_lost_is_uncertain_and_never_repeated(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    fake.server.fail("POST", SUBMIT, None, after=True)  # the job exists, the reply is lost
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "uncertain"
    assert len(fake.jobs) == 1
    journal = Journal(Home.from_env().journal)
    assert journal.spent() == pytest.approx(1.40)  # held until the user resolves it
    tags, _ = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "uncertain"

    (again,) = sweep(project(tmp_path)).outcomes
    assert again.status == "uncertain"
    assert fake.creates == 1
    assert journal.spent() == pytest.approx(1.40)


@pytest.mark.parametrize(
    ("fault", "key", "code"),
    [
        ("validation", KEY, "http-422"),
        ("wrong-key", "not-the-key", "http-401"),
    ],
)
def test_a_create_refused_with_4xx_fails_at_no_cost(
    fake: FalFake,
    waits: list[float],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    key: str,
    code: str,
) -> None:
    monkeypatch.setenv("FAL_KEY", key)
    if fault == "validation":
        body = {"detail": [{"loc": ["body", "duration"], "msg": "bad value", "type": "enum"}]}
        fake.server.fail("POST", SUBMIT, 422, body=body)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "failed"
    rec = record(out.take_id)
    assert rec.cost_usd == 0 and rec.error_code == code
    assert Journal(Home.from_env().journal).spent() == 0
    assert not fake.jobs


def test_a_missing_key_stops_before_any_request(
    fake: FalFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAL_KEY")
    with pytest.raises(MissingKeyError, match="FAL_KEY"):
        sweep(project(tmp_path))
    assert fake.requests == 0


def test_a_duration_the_model_cannot_make_is_stopped_by_lint(fake: FalFake, tmp_path: Path) -> None:
    (out,) = sweep(project(tmp_path, duration=7)).outcomes
    assert out.status == "lint" and "too-long" in out.message
    assert fake.requests == 0
    backend = FalBackend()
    req = request(KLING, duration_s=7)
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.price(req)
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.arguments(req)


def test_a_job_past_the_deadline_is_resumed_by_id_on_rerun(
    fake: FalFake, waits: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.hold = True
    monkeypatch.setattr(FalBackend, "deadline_s", 0.1)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "pending"
    rec = record(out.take_id)
    assert rec.state == TakeState.SUBMITTED and rec.job_id == f"{KLING}|req-0001"

    fake.hold = False
    (again,) = sweep(project(tmp_path)).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert record(out.take_id).cost_usd == pytest.approx(1.40)


# -- request mapping per app ----------------------------------------------------------------


def request(model: str, **settings: object) -> TakeRequest:
    data: dict[str, object] = {
        "project": "p",
        "shot": "s",
        "variant": "v",
        "prompt": "a cat turns its head, slow pan, warm light",
        "backend": "fal",
        "model": model,
        "duration_s": 5.0,
        "aspect": "16:9",
        "resolution": "720p",
        "seed": 7,
        **settings,
    }
    return TakeRequest.model_validate(data)


@pytest.mark.parametrize(
    ("model", "settings", "sent"),
    [
        (
            PIKA,
            {"duration_s": 10.0, "resolution": "1080p", "negative": "text"},
            {"duration": 10, "resolution": "1080p", "seed": 7, "negative_prompt": "text"},
        ),
        (
            WAN,
            {"duration_s": 12.0, "aspect": "9:16"},
            {"duration": 12, "aspect_ratio": "9:16", "resolution": "720p", "seed": 7},
        ),
        (
            HUNYUAN,
            {"resolution": "480p", "aspect": "9:16"},
            {"num_frames": "129", "aspect_ratio": "9:16", "resolution": "480p", "seed": 7},
        ),
        (LTX, {"resolution": "480p", "negative": "blur"}, {"seed": 7, "negative_prompt": "blur"}),
        (KLING, {"aspect": "1:1", "duration_s": 10.0}, {"duration": "10", "aspect_ratio": "1:1"}),
    ],
)
def test_each_app_gets_its_own_argument_names(
    model: str, settings: dict[str, object], sent: dict[str, object]
) -> None:
    backend = get_backend(f"fal:{model}")
    assert isinstance(backend, FalBackend)
    req = request(model, **settings)
    assert backend.arguments(req) == {"prompt": req.prompt, **sent}
    assert backend.price(req) > 0


@pytest.mark.parametrize(
    ("model", "settings", "problem"),
    [
        (HUNYUAN, {"negative": "blur"}, "no negative prompt"),
        (PIKA, {"aspect": "9:16"}, "aspect 9:16 is not allowed"),
        (WAN, {"duration_s": 5.5}, "duration 5.5 s is not allowed"),
        (KLING, {"image_sha256": "ab" * 32, "image_path": "x.png"}, "first-frame image"),
    ],
)
def test_settings_an_app_cannot_take_are_refused_not_changed(
    model: str, settings: dict[str, object], problem: str
) -> None:
    with pytest.raises(UsageError, match=problem):
        FalBackend(model).arguments(request(model, **settings))


def test_every_app_in_the_price_table_has_a_mapping() -> None:
    from takelab.backends.prices import PRICES

    assert set(FalBackend.models) == {p.model for p in PRICES if p.backend == "fal"}
    assert FalBackend.default_model == KLING


def test_an_expired_media_url_fails_the_take_charged_and_settled(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    """The request completed, but the result's `video.url` on fal's media storage answers
    404 (expired): fal bills per output and reports no cost, so the take ends failed at the
    table price, and a rerun neither creates nor downloads again."""
    fake.expire_outputs = True
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "failed", out.message
    rec = record(out.take_id)
    assert rec.state is TakeState.FAILED
    assert rec.error_code == "output-expired"
    assert "404" in (rec.error_message or "")
    assert rec.cost_usd == pytest.approx(1.40)
    journal = Journal(Home.from_env().journal)
    assert journal.spent() == pytest.approx(1.40)
    tags, metrics = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "failed" and metrics["cost_usd"] == pytest.approx(1.40)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.server.count("GET", f"^{FILE}$")
    assert downloads == 1  # a 404 is not retried
    assert waits == []
    seen = fake.requests

    fake.expire_outputs = False
    (again,) = sweep(path).outcomes
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.server.count("GET", f"^{FILE}$") == downloads
    assert fake.requests == seen  # settled: fal is not asked anything
    assert journal.spent() == pytest.approx(1.40)


# --- Kling 3.0: sound, multi-shot beats, first and last frame; retired apps -------------

KLING3_T2V = "fal-ai/kling-video/v3/standard/text-to-video"
KLING3_I2V = "fal-ai/kling-video/v3/pro/image-to-video"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def kling3_project(tmp_path: Path, extra: str) -> Path:
    path = project(tmp_path, duration=8)
    (path.parent / "first.png").write_bytes(PNG)
    (path.parent / "last.png").write_bytes(PNG + b"last")
    path.write_text(path.read_text() + extra)
    return path


def test_kling3_sends_multi_prompt_beats_and_audio_and_prices_the_sound(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    extra = (
        "        audio: true\n"
        "        beats:\n"
        "          - {at: 0, action: she steps off the curb}\n"
        "          - {at: 5, action: she looks up, camera: tilt up}\n"
    )
    (out,) = sweep(kling3_project(tmp_path, extra), f"fal:{KLING3_T2V}").outcomes
    assert out.status == "done", out.message
    [job] = fake.jobs.values()
    args = job.arguments
    assert "prompt" not in args and args["generate_audio"] is True
    shots = args["multi_prompt"]
    assert [s["duration"] for s in shots] == ["5", "3"]  # adds up to the 8-second clip
    assert shots[0]["prompt"].startswith("she steps off the curb")
    assert args["duration"] == "8" and args["aspect_ratio"] == "16:9"
    assert out.cost_usd == pytest.approx(8 * 0.126)


def test_kling3_image_to_video_sends_first_and_last_frame_silent_at_the_lower_price(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    extra = (
        "        image: first.png\n        end_image: last.png\n        audio: false\n"
        "        resolution: 1080p\n"
    )
    (out,) = sweep(kling3_project(tmp_path, extra), f"fal:{KLING3_I2V}").outcomes
    assert out.status == "done", out.message
    [job] = fake.jobs.values()
    args = job.arguments
    assert args["start_image_url"].startswith("data:image/png;base64,")
    assert args["end_image_url"].startswith("data:image/png;base64,")
    assert args["generate_audio"] is False and "aspect_ratio" not in args
    assert out.cost_usd == pytest.approx(8 * 0.224)


def test_an_app_that_answers_no_longer_available_is_model_retired(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    fake.retired.add(KLING)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "failed"
    assert record(out.take_id).error_code == "model-retired"
    assert fake.creates == 1
