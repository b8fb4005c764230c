"""The Replicate backend against a fake of Replicate's API: money-safe creates, keys."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import replicate.client

from fakes.replicate_fake import CREATE, FILE, GET, MODERATION_ERROR, ReplicateFake
from takelab.backends import TakeRequest, get_backend
from takelab.backends.replicate import KLING_MASTER, ReplicateBackend
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
project: repproj
goal: tests
defaults:
  duration: {duration}
  aspect: "16:9"
  resolution: 1080p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: {prompt}
{extra}"""
real_sleep = time.sleep


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplicateFake]:
    with ReplicateFake(key=KEY).running() as f:
        monkeypatch.setenv("REPLICATE_API_TOKEN", KEY)
        monkeypatch.setenv("REPLICATE_BASE_URL", f.url)
        monkeypatch.setattr(ReplicateBackend, "poll_interval_s", 0.01)
        yield f


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What the SDK's and the backend's retries asked to wait, waiting at most 10 ms."""
    seen: list[float] = []

    def sleep(seconds: float) -> None:
        seen.append(seconds)
        real_sleep(min(seconds, 0.01))

    monkeypatch.setattr(replicate.client, "time", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(ReplicateBackend, "_sleep", lambda self, s: sleep(s))
    return seen


def project(tmp_path: Path, duration: float = 5, image: bool = False) -> Path:
    path = tmp_path / "proj" / "repproj.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = ""
    if image:
        (path.parent / "first.png").write_bytes(b"\x89PNG\r\n\x1a\n fake first frame")
        extra = "        image: first.png\n"
    path.write_text(PROJECT.format(duration=duration, prompt=PROMPT, extra=extra))
    return path


def sweep(path: Path) -> SweepResult:
    return run_sweep(path, backends=["replicate"], progress=False, concurrency=1)


def record(take_id: str) -> TakeRecord:
    rec = Journal(Home.from_env().journal).get(take_id)
    assert rec is not None
    return rec


def take_run_tags_and_metrics(take_id: str) -> tuple[dict[str, str], dict[str, float]]:
    tracker = Tracker(Home.from_env())
    exp = tracker.client.get_experiment_by_name("repproj")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0].data.tags, runs[0].data.metrics


def assert_key_never_stored(caplog: pytest.LogCaptureFixture) -> None:
    for path in Home.from_env().root.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in caplog.text


def test_a_take_runs_end_to_end_and_a_rerun_is_cached(
    fake: ReplicateFake, waits: list[float], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "done", out.message
    assert out.cost_usd == pytest.approx(1.40)  # $0.28/s x 5 s
    home = Home.from_env()
    assert out.path == str(home.take_dir(out.take_id) / "take.mp4")
    assert media.check_decodes(Path(out.path)).duration_s > 0
    tags, metrics = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "done"
    assert metrics["cost_usd"] == pytest.approx(1.40)
    assert fake.creates == 1
    (p,) = fake.predictions.values()
    assert p.model == KLING_MASTER
    assert p.input == {"prompt": PROMPT, "duration": 5, "aspect_ratio": "16:9"}
    assert record(out.take_id).job_id == p.id
    assert fake.server.saw_header_value(f"Bearer {KEY}")
    assert all("authorization" not in h for m, p_, h in fake.server.log if p_.startswith("/files"))
    assert_key_never_stored(caplog)

    again = sweep(project(tmp_path))
    assert [o.status for o in again.outcomes] == ["cached"]
    assert again.spend_usd == 0
    assert fake.creates == 1


def test_a_first_frame_image_is_sent_as_a_data_uri(
    fake: ReplicateFake, waits: list[float], tmp_path: Path
) -> None:
    (out,) = sweep(project(tmp_path, image=True)).outcomes
    assert out.status == "done", out.message
    (p,) = fake.predictions.values()
    assert str(p.input["start_image"]).startswith("data:image/png;base64,")
    assert not any(path.startswith("/v1/files") for _, path, _ in fake.server.log)  # no upload


@pytest.mark.parametrize(
    ("outcome", "state", "code", "message"),
    [
        ("moderation", "blocked", "moderation", MODERATION_ERROR),
        ("failure", "failed", "failed", "internal error"),
    ],
)
def test_a_refused_or_failed_prediction_costs_nothing_and_keeps_the_reason(
    fake: ReplicateFake,
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
    fake: ReplicateFake, waits: list[float], tmp_path: Path
) -> None:
    fake.server.fail("GET", GET, 429, count=1, headers={"Retry-After": "3"})  # the SDK's retry
    fake.server.fail("GET", GET, 503, count=1, headers={"Retry-After": "2"})  # the SDK's retry
    fake.server.fail("GET", GET, 500, count=1)  # not retried by the SDK: by with_retries
    fake.server.fail("GET", FILE, 502, count=1, headers={"Retry-After": "4"})
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "done", out.message
    assert {3.0, 2.0, 4.0} <= set(waits)
    assert fake.creates == 1


@pytest.mark.parametrize("fault", [None, 503])
def test_a_create_whose_reply_is_lost_is_uncertain_never_repeated_and_reconcilable(
    fake: ReplicateFake, waits: list[float], tmp_path: Path, fault: int | None
) -> None:
    fake.server.fail("POST", CREATE, fault, after=True)  # the prediction exists, reply lost
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "uncertain"
    journal = Journal(Home.from_env().journal)
    assert journal.spent() == pytest.approx(1.40)  # held until the user resolves it
    tags, _ = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "uncertain"

    # The rerun finds the prediction by listing (reconcile) and finishes it, never resending.
    (again,) = sweep(project(tmp_path)).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert journal.spent() == pytest.approx(1.40)

    (made,) = fake.predictions.values()
    for n in range(3):  # newer predictions push it onto the second page of the list
        fake.add(KLING_MASTER, f"another prompt {n}")
    backend = ReplicateBackend()
    assert backend.find_jobs(record(out.take_id).request) == [made.id]
    # Only predictions created since (a minute before) the given time are considered.
    assert backend.find_jobs(record(out.take_id).request, since=time.time() + 120) == []


@pytest.mark.parametrize(
    ("fault", "key", "code"),
    [("validation", KEY, "http-422"), ("wrong-key", "not-the-key", "http-401")],
)
def test_a_create_refused_with_4xx_fails_at_no_cost(
    fake: ReplicateFake,
    waits: list[float],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    key: str,
    code: str,
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", key)
    if fault == "validation":
        body = {"title": "Input validation failed", "detail": "- input.prompt: bad", "status": 422}
        fake.server.fail("POST", CREATE, 422, body=body)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "failed"
    rec = record(out.take_id)
    assert rec.cost_usd == 0 and rec.error_code == code
    assert Journal(Home.from_env().journal).spent() == 0
    assert not fake.predictions


def test_a_missing_key_stops_before_any_request(
    fake: ReplicateFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    with pytest.raises(MissingKeyError, match="REPLICATE_API_TOKEN"):
        sweep(project(tmp_path))
    assert fake.requests == 0


def test_a_duration_the_model_cannot_make_is_stopped_by_lint(
    fake: ReplicateFake, tmp_path: Path
) -> None:
    (out,) = sweep(project(tmp_path, duration=8)).outcomes
    assert out.status == "lint" and "too-long" in out.message
    assert fake.requests == 0
    req = request(duration_s=8.0)
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        ReplicateBackend().price(req)
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        ReplicateBackend().model_input(req)


def test_a_prediction_past_the_deadline_is_resumed_by_id_on_rerun(
    fake: ReplicateFake, waits: list[float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.hold = True
    monkeypatch.setattr(ReplicateBackend, "deadline_s", 0.1)
    (out,) = sweep(project(tmp_path)).outcomes
    assert out.status == "pending"
    rec = record(out.take_id)
    (p,) = fake.predictions.values()
    assert rec.state == TakeState.SUBMITTED and rec.job_id == p.id

    fake.hold = False
    (again,) = sweep(project(tmp_path)).outcomes
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert record(out.take_id).cost_usd == pytest.approx(1.40)


def request(**settings: object) -> TakeRequest:
    data: dict[str, object] = {
        "project": "p",
        "shot": "s",
        "variant": "v",
        "prompt": "a cat turns its head, slow pan, warm light",
        "backend": "replicate",
        "model": KLING_MASTER,
        "duration_s": 5.0,
        "aspect": "16:9",
        "resolution": "1080p",
        "seed": 7,
        **settings,
    }
    return TakeRequest.model_validate(data)


def test_the_input_maps_every_setting_the_model_takes() -> None:
    backend = get_backend("replicate")
    assert isinstance(backend, ReplicateBackend) and backend.model == KLING_MASTER
    req = request(duration_s=10.0, aspect="9:16", negative="text, watermark")
    assert backend.model_input(req) == {
        "prompt": req.prompt,
        "duration": 10,
        "aspect_ratio": "9:16",
        "negative_prompt": "text, watermark",
    }
    assert backend.price(req) == pytest.approx(2.80)
    with pytest.raises(UsageError, match="resolution 720p is not allowed"):
        backend.model_input(request(resolution="720p"))


@pytest.mark.parametrize(
    ("switch", "detail"),
    [
        # The output URL on replicate.delivery answers 404.
        ("expire_outputs", "404"),
        # Replicate removed the prediction's data (an API prediction's output, input and
        # files go an hour after it finishes): it is still `succeeded`, but its output is
        # null. Seen when a take left pending is resumed late.
        ("remove_data", "removed"),
    ],
)
def test_an_expired_output_fails_the_take_charged_and_settled(
    fake: ReplicateFake, waits: list[float], tmp_path: Path, switch: str, detail: str
) -> None:
    """The prediction succeeded, but its video can no longer be had: Replicate bills these
    official models per second of output and reports no cost, so the take ends failed at
    the table price, and a rerun neither creates nor downloads again."""
    setattr(fake, switch, True)
    path = project(tmp_path)
    (out,) = sweep(path).outcomes
    assert out.status == "failed", out.message
    rec = record(out.take_id)
    assert rec.state is TakeState.FAILED
    assert rec.error_code == "output-expired"
    assert detail in (rec.error_message or "")
    assert rec.cost_usd == pytest.approx(1.40)  # $0.28/s x 5 s
    journal = Journal(Home.from_env().journal)
    assert journal.spent() == pytest.approx(1.40)
    tags, metrics = take_run_tags_and_metrics(out.take_id)
    assert tags["takelab.status"] == "failed" and metrics["cost_usd"] == pytest.approx(1.40)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.server.count("GET", f"^{FILE}$")
    assert downloads == (1 if switch == "expire_outputs" else 0)  # a 404 is not retried
    assert waits == []
    seen = fake.requests

    setattr(fake, switch, False)
    (again,) = sweep(path).outcomes
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.server.count("GET", f"^{FILE}$") == downloads
    assert fake.requests == seen  # settled: Replicate is not asked anything
    assert journal.spent() == pytest.approx(1.40)
