"""The luma backend end to end against a fake of Luma's Dream Machine API."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.luma_fake import FAILED_REASON, MODERATION_REASON, VIDEO, LumaFake
from takelab.backends import TakeRequest
from takelab.backends.luma import LumaBackend
from takelab.errors import MissingKeyError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import Tracker

KEY = "canary-secret-123"
PRICE = 0.71  # ray-2, 5 s at 720p


@pytest.fixture(scope="module")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow store, copied into each test's home (migrations are slow)."""
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


@pytest.fixture
def fake(
    takelab_home: Path,
    mlflow_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LumaFake]:
    takelab_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, takelab_home / "mlflow.db")
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("LUMAAI_API_KEY", KEY)
    monkeypatch.setattr(LumaBackend, "poll_interval_s", 0.01)
    monkeypatch.setattr(LumaBackend, "deadline_s", 10.0)
    with LumaFake(key=KEY).running() as f:
        monkeypatch.setenv("LUMAAI_BASE_URL", f.base_url)
        yield f


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits are recorded instead of slept."""
    seen: list[float] = []
    monkeypatch.setattr(LumaBackend, "_sleep", staticmethod(seen.append))
    return seen


def project(tmp_path: Path, *, duration: int = 5, extra: str = "") -> Path:
    path = tmp_path / "proj" / "luma.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "first.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    path.write_text(
        f"""\
project: luma-test
defaults:
  duration: {duration}
  aspect: "16:9"
  resolution: 720p
shots:
  - id: cat
    variants:
      - id: v1
        subject: a black cat
        action: stretches and turns its head toward the window
        camera: static close-up
        lighting: golden hour sun setting through the window
{extra}"""
    )
    return path


def sweep(path: Path) -> list:  # type: ignore[type-arg]
    return run_sweep(path, backends=["luma"], progress=False).outcomes


def request(duration: float = 5) -> TakeRequest:
    return TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="a cat",
        backend="luma",
        model="ray-2",
        duration_s=duration,
        aspect="16:9",
        resolution="720p",
        seed=1,
    )


def take_run(take_id: str) -> tuple[dict[str, str], dict[str, float]]:
    tracker = Tracker(Home.from_env())
    exp = tracker.client.get_experiment_by_name("luma-test")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0].data.tags, runs[0].data.metrics


def test_a_take_lands_decodes_is_logged_and_a_rerun_is_cached(
    fake: LumaFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = project(tmp_path, extra="        negative: text, watermark\n")
    [out] = sweep(path)
    assert out.status == "done", out.message
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert out.cost_usd == pytest.approx(PRICE)
    tags, metrics = take_run(out.take_id)
    assert tags["takelab.status"] == "done"
    assert metrics["cost_usd"] == pytest.approx(PRICE)
    assert fake.creates == 1
    [generation] = fake.generations.values()
    sent = generation["request"]
    assert "black cat" in sent.pop("prompt")
    assert sent == {
        "generation_type": "video",
        "model": "ray-2",
        "aspect_ratio": "16:9",
        "duration": "5s",
        "resolution": "720p",
    }
    assert "no negative prompt" in caplog.text

    [again] = sweep(path)
    assert again.status == "cached" and again.cost_usd == 0
    assert fake.creates == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code", "reason"),
    [
        ("blocked", TakeState.BLOCKED, "moderation", MODERATION_REASON),
        ("fail", TakeState.FAILED, "failed", FAILED_REASON),
    ],
)
def test_moderated_and_failed_generations_keep_lumas_reason_and_cost_nothing(
    fake: LumaFake, tmp_path: Path, outcome: str, state: TakeState, code: str, reason: str
) -> None:
    fake.outcome = outcome
    [out] = sweep(project(tmp_path))
    assert out.status == str(state)
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.state is state
    assert (record.error_code, record.error_message) == (code, reason)
    assert record.cost_usd == 0
    tags, metrics = take_run(out.take_id)
    assert tags["takelab.status"] == str(state)
    assert metrics["cost_usd"] == 0
    assert fake.creates == 1


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_polls_are_retried_after_retry_after(
    fake: LumaFake, tmp_path: Path, sleeps: list[float], status: int
) -> None:
    fake.throttle_polls(status, retry_after="3", count=2)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message
    assert len(sleeps) == 2 and min(sleeps) >= 3
    assert fake.creates == 1


def test_a_create_whose_reply_is_lost_is_uncertain_never_resent_and_reconciled(
    fake: LumaFake, tmp_path: Path
) -> None:
    fake.drop_create_reply()
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "uncertain"
    assert fake.creates == 1
    journal = Journal(Home.from_env().journal)
    assert journal.spent(project="luma-test") == pytest.approx(PRICE)

    # The rerun finds the generation by listing (reconcile) and finishes it, never resending.
    [again] = sweep(path)
    assert again.status == "done", again.message
    assert fake.creates == 1
    assert journal.spent(project="luma-test") == pytest.approx(PRICE)

    # The job can be found again by what was sent and when.
    record = journal.get(out.take_id)
    assert record is not None
    [made] = fake.generations
    assert LumaBackend().find_jobs(record.request, since=record.created_at) == [made]
    assert LumaBackend().find_jobs(request()) == []  # a different prompt matches nothing


def test_a_refused_create_fails_and_holds_nothing(fake: LumaFake, tmp_path: Path) -> None:
    fake.refuse_create(400, "Invalid request: prompt is too long")
    [out] = sweep(project(tmp_path))
    assert out.status == "failed"
    journal = Journal(Home.from_env().journal)
    record = journal.get(out.take_id)
    assert record is not None and record.cost_usd == 0 and record.error_code == "http-400"
    assert "prompt is too long" in (record.error_message or "")
    assert journal.spent(project="luma-test") == 0
    assert fake.creates == 0


def test_a_missing_key_is_named_before_any_request(
    fake: LumaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LUMAAI_API_KEY")
    with pytest.raises(MissingKeyError, match="LUMAAI_API_KEY"):
        sweep(project(tmp_path))
    assert fake.requests == 0


@pytest.mark.parametrize(
    ("duration", "extra", "expected"),
    [
        (7, "", "too-long"),
        (5, "        image: first.png\n", "first-frame image is not accepted"),
    ],
)
def test_settings_luma_cannot_take_stop_before_submit(
    fake: LumaFake, tmp_path: Path, duration: int, extra: str, expected: str
) -> None:
    [out] = sweep(project(tmp_path, duration=duration, extra=extra))
    assert out.status == "lint" and expected in out.message
    assert fake.requests == 0


def test_direct_calls_refuse_a_duration_luma_cannot_make() -> None:
    backend = LumaBackend()
    with pytest.raises(UsageError, match="5, 9 s"):
        backend.price(request(7))
    with pytest.raises(UsageError, match="5, 9 s"):
        backend.create_params(request(7))
    assert backend.create_params(request(9))["duration"] == "9s"


def test_the_key_is_never_written_or_logged(
    fake: LumaFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.throttle_polls(503, retry_after="0", count=1)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message
    assert fake.server.saw_header_value(KEY)  # it did go to the provider
    home = Home.from_env().root
    files = [p for p in home.rglob("*") if p.is_file()]
    assert home / "journal.sqlite" in files and home / "mlflow.db" in files
    for p in files:
        assert KEY.encode() not in p.read_bytes(), p
    assert KEY not in caplog.text


def test_a_job_past_the_deadline_is_resumed_by_its_id(
    fake: LumaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.outcome = "hang"
    monkeypatch.setattr(LumaBackend, "deadline_s", 0.05)
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "pending"
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id in fake.generations

    fake.release("succeed")
    monkeypatch.setattr(LumaBackend, "deadline_s", 10.0)
    [again] = sweep(path)
    assert again.status == "done", again.message
    assert fake.creates == 1


def test_an_expired_video_url_fails_the_take_charged_and_settled(
    fake: LumaFake, tmp_path: Path
) -> None:
    """The generation completed, but `assets.video` answers 403 as a signed CDN URL past its
    expiry does: Luma made and billed the video (it reports no cost), so the take ends
    failed at the table price, and a rerun neither creates nor downloads again."""
    fake.expire_outputs = True
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "failed", out.message
    journal = Journal(Home.from_env().journal)
    record = journal.get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "output-expired"
    assert "403" in (record.error_message or "")
    assert record.cost_usd == pytest.approx(PRICE)
    assert journal.spent(project="luma-test") == pytest.approx(PRICE)
    tags, metrics = take_run(out.take_id)
    assert tags["takelab.status"] == "failed"
    assert metrics["cost_usd"] == pytest.approx(PRICE)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.server.count("GET", f"^{VIDEO}$")
    assert downloads == 1  # a 403 is not retried
    seen = fake.requests

    fake.expire_outputs = False
    [again] = sweep(path)
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.server.count("GET", f"^{VIDEO}$") == downloads
    assert fake.requests == seen  # settled: Luma is not asked anything
    assert journal.spent(project="luma-test") == pytest.approx(PRICE)
