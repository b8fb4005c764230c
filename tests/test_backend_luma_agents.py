"""The luma-agents backend (Ray 3.2) end to end against a fake of Luma's Agents API:
first and last frame, extend by a prior take's generation id, moderation, rate limits,
resume by id, a lost create reply, a retired model, and refusals before any money."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.luma_agents_fake import CREATE, FAILURES, LumaAgentsFake
from takelab.backends import TakeRequest
from takelab.backends.luma_agents import LumaAgentsBackend
from takelab.errors import MissingKeyError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import run_sweep

KEY = "canary-secret-123"
PRICE = 1.08  # ray-3.2, one 5 s block at 720p
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


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
) -> Iterator[LumaAgentsFake]:
    takelab_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, takelab_home / "mlflow.db")
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    monkeypatch.setattr(LumaAgentsBackend, "poll_interval_s", 0.01)
    monkeypatch.setattr(LumaAgentsBackend, "deadline_s", 10.0)
    monkeypatch.setattr(LumaAgentsBackend, "_sleep", staticmethod(lambda s: None))
    with LumaAgentsFake(key=KEY).running() as f:
        monkeypatch.setenv("LUMA_BASE_URL", f.base_url)
        yield f


def project(tmp_path: Path, *, duration: int = 5, extra: str = "") -> Path:
    path = tmp_path / "proj" / "ray.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    for name in ("first.png", "last.png"):
        (path.parent / name).write_bytes(PNG + name.encode())
    path.write_text(
        f"""\
project: ray-test
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


def sweep(path: Path, backend: str = "luma-agents") -> list:  # type: ignore[type-arg]
    return run_sweep(path, backends=[backend], progress=False).outcomes


def journal() -> Journal:
    return Journal(Home.from_env().journal)


def request(duration: float = 5, **extra: object) -> TakeRequest:
    return TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="a cat",
        backend="luma-agents",
        model="ray-3.2",
        duration_s=duration,
        aspect="16:9",
        resolution="720p",
        seed=1,
        **extra,  # type: ignore[arg-type]
    )


def test_first_and_last_frame_go_inline_and_the_take_lands(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    extra = "        image: first.png\n        end_image: last.png\n        negative: text\n"
    [out] = sweep(project(tmp_path, extra=extra))
    assert out.status == "done", out.message
    assert media.check_decodes(Path(out.path or "")).duration_s > 0
    assert out.cost_usd == pytest.approx(PRICE)
    [body] = fake.bodies.values()
    video = body.pop("video")
    assert "black cat" in body.pop("prompt")
    assert body == {"type": "video", "model": "ray-3.2", "aspect_ratio": "16:9"}
    start, end = video.pop("start_frame"), video.pop("end_frame")
    assert video == {"duration": "5s", "resolution": "720p"}  # no seed, no negative prompt
    assert (start["media_type"], end["media_type"]) == ("image/png", "image/png")
    assert base64.b64decode(start["data"]) == PNG + b"first.png"
    assert base64.b64decode(end["data"]) == PNG + b"last.png"
    assert fake.server.saw_header_value(f"Bearer {KEY}")

    [again] = sweep(project(tmp_path, extra=extra))
    assert again.status == "cached" and fake.creates == 1


def test_a_last_frame_alone_is_sent_as_end_frame(fake: LumaAgentsFake, tmp_path: Path) -> None:
    [out] = sweep(project(tmp_path, extra="        end_image: last.png\n"))
    assert out.status == "done", out.message
    [body] = fake.bodies.values()
    assert set(body["video"]) == {"duration", "resolution", "end_frame"}


def test_extend_sends_the_parent_generation_id_and_the_take_records_its_parent(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    [parent] = sweep(project(tmp_path))
    assert parent.status == "done", parent.message
    [parent_gen] = fake.generations
    [child] = sweep(project(tmp_path, extra=f"        extend: {parent.take_id[:8]}\n"))
    assert child.status == "done", child.message
    assert child.take_id != parent.take_id and fake.creates == 2
    body = list(fake.bodies.values())[-1]
    assert body["video"]["start_frame"] == {"generation_id": parent_gen}
    assert "end_frame" not in body["video"]
    record = journal().get(child.take_id)
    assert record is not None and record.request.extend == parent.take_id
    assert record.request.extend_job == f"luma-agents:{parent_gen}"


def test_extending_a_take_luma_did_not_make_is_refused_before_any_create(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    [parent] = sweep(project(tmp_path), backend="previz")
    assert parent.status == "done", parent.message
    [child] = sweep(project(tmp_path, extra=f"        extend: {parent.take_id[:8]}\n"))
    assert child.status == "failed"
    assert "was made by previz" in child.message
    assert fake.requests == 0
    assert journal().spent(project="ray-test") == 0


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("        image: first.png\n", "text to video only"),
        ("        end_image: last.png\n", "text to video only"),
    ],
)
def test_ten_seconds_with_a_keyframe_is_refused_before_any_create(
    fake: LumaAgentsFake, tmp_path: Path, extra: str, expected: str
) -> None:
    [out] = sweep(project(tmp_path, duration=10, extra=extra))
    assert out.status == "lint" and expected in out.message, out.message
    assert fake.creates == 0 and fake.requests == 0


def test_ten_seconds_from_text_is_two_blocks(fake: LumaAgentsFake, tmp_path: Path) -> None:
    [out] = sweep(project(tmp_path, duration=10))
    assert out.status == "done", out.message
    assert out.cost_usd == pytest.approx(2 * PRICE)
    [body] = fake.bodies.values()
    assert body["video"]["duration"] == "10s"


def test_direct_calls_refuse_what_ray_3_2_cannot_make() -> None:
    backend = LumaAgentsBackend()
    with pytest.raises(UsageError, match="5, 10 s"):
        backend.price(request(7))
    with pytest.raises(UsageError, match="text to video only"):
        backend.create_params(request(10, image_sha256="ab", image_path="x.png"))
    with pytest.raises(UsageError, match="first frame"):
        backend.create_params(request(5, image_sha256="ab", extend="t1", extend_job="x:y"))
    assert backend.price(request(10).model_copy(update={"resolution": "1080p"})) == 4.32


@pytest.mark.parametrize(
    ("outcome", "state", "code"),
    [
        ("blocked", TakeState.BLOCKED, "moderation"),
        ("rate_limited", TakeState.FAILED, "rate-limited"),
        ("fail", TakeState.FAILED, "generation-failed"),
    ],
)
def test_failed_generations_keep_lumas_code_and_reason_and_cost_nothing(
    fake: LumaAgentsFake, tmp_path: Path, outcome: str, state: TakeState, code: str
) -> None:
    fake.outcome = outcome
    [out] = sweep(project(tmp_path))
    assert out.status == str(state)
    record = journal().get(out.take_id)
    assert record is not None and record.state is state
    assert (record.error_code, record.error_message) == (code, FAILURES[outcome][1])
    assert record.cost_usd == 0 and journal().spent(project="ray-test") == 0
    assert fake.creates == 1


def test_a_rate_limited_create_is_refused_not_resent_and_holds_nothing(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    fake.refuse_create(429, "Rate limit exceeded: concurrent jobs", retry_after="30")
    [out] = sweep(project(tmp_path))
    assert out.status == "failed"
    record = journal().get(out.take_id)
    assert record is not None and record.error_code == "http-429"
    assert "concurrent jobs" in (record.error_message or "")
    assert fake.server.count("POST", f"^{CREATE}$") == 0 and not fake.generations
    assert len([m for m, _, _ in fake.server.log if m == "POST"]) == 1  # no SDK retry
    assert journal().spent(project="ray-test") == 0


def test_throttled_polls_are_retried(fake: LumaAgentsFake, tmp_path: Path) -> None:
    fake.throttle_polls(429, retry_after="0", count=2)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message
    assert fake.creates == 1


def test_a_job_past_the_deadline_is_resumed_by_its_id(
    fake: LumaAgentsFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.outcome = "hang"
    monkeypatch.setattr(LumaAgentsBackend, "deadline_s", 0.05)
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "pending"
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id in fake.generations

    fake.release("succeed")
    monkeypatch.setattr(LumaAgentsBackend, "deadline_s", 10.0)
    [again] = sweep(path)
    assert again.status == "done", again.message
    assert fake.creates == 1


def test_a_create_whose_reply_is_lost_is_uncertain_and_never_resent(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    fake.drop_create_reply()
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "uncertain"
    assert fake.creates == 1 and len(fake.generations) == 1  # Luma made (and bills) it
    assert journal().spent(project="ray-test") == pytest.approx(PRICE)
    [again] = sweep(path)  # no list call to find it by: it stays for the user to settle
    assert again.status == "uncertain" and "takelab resolve" in again.message
    assert fake.creates == 1


def test_a_404_no_longer_available_is_model_retired_and_not_resent(
    fake: LumaAgentsFake, tmp_path: Path
) -> None:
    fake.retired.add("ray-3.2")
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "failed"
    record = journal().get(out.take_id)
    assert record is not None and record.error_code == "model-retired"
    assert "no longer available" in (record.error_message or "") and record.cost_usd == 0
    sweep(path)
    assert fake.creates == 1 and not fake.generations


def test_a_missing_key_is_named_before_any_request(
    fake: LumaAgentsFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LUMA_AGENTS_API_KEY")
    with pytest.raises(MissingKeyError, match="LUMA_AGENTS_API_KEY"):
        sweep(project(tmp_path))
    assert fake.requests == 0
