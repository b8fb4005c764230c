"""The veo backend end to end against a fake of Vertex AI's Veo endpoints."""

from __future__ import annotations

import base64
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.veo_fake import FAILED_MESSAGE, FILE, FILTERED_REASON, VeoFake
from takelab.backends import TakeRequest
from takelab.backends.veo import VeoBackend
from takelab.errors import MissingKeyError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import Tracker

KEY = "canary-secret-123"
PRICE = 0.15 * 4  # veo-3.1-fast-generate-001, 4 s
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
) -> Iterator[VeoFake]:
    takelab_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(mlflow_template, takelab_home / "mlflow.db")
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setattr(VeoBackend, "poll_interval_s", 0.01)
    monkeypatch.setattr(VeoBackend, "deadline_s", 10.0)
    with VeoFake(key=KEY).running() as f:
        monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", f.url)
        yield f


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits are recorded instead of slept."""
    seen: list[float] = []
    monkeypatch.setattr(VeoBackend, "_sleep", staticmethod(seen.append))
    return seen


def project(tmp_path: Path, *, duration: int = 4, extra: str = "") -> Path:
    path = tmp_path / "proj" / "veo.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "first.png").write_bytes(PNG)
    path.write_text(
        f"""\
project: veo-test
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
    return run_sweep(path, backends=["veo"], progress=False).outcomes


def take_run_tags(take_id: str) -> dict[str, str]:
    tracker = Tracker(Home.from_env())
    exp = tracker.client.get_experiment_by_name("veo-test")
    assert exp is not None
    runs = tracker.client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return {**runs[0].data.tags, "cost_usd": str(runs[0].data.metrics["cost_usd"])}


def test_a_take_lands_decodes_is_logged_and_a_rerun_is_cached(
    fake: VeoFake, tmp_path: Path
) -> None:
    path = project(tmp_path, extra="        negative: text, watermark\n        image: first.png\n")
    [out] = sweep(path)
    assert out.status == "done", out.message
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert out.cost_usd == pytest.approx(PRICE)
    tags = take_run_tags(out.take_id)
    assert tags["takelab.status"] == "done"
    assert float(tags["cost_usd"]) == pytest.approx(PRICE)
    assert fake.creates == 1
    # What was sent, in Vertex's shape.
    [op] = fake.operations.values()
    instance, params = op.body["instances"][0], op.body["parameters"]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == PNG
    assert instance["image"]["mimeType"] == "image/png"
    assert "black cat" in instance["prompt"]
    assert params == {
        "sampleCount": 1,
        "durationSeconds": 4,
        "aspectRatio": "16:9",
        "resolution": "720p",
        "seed": 1,
        "negativePrompt": "text, watermark",
        "generateAudio": True,
    }

    [again] = sweep(path)
    assert again.status == "cached" and again.cost_usd == 0
    assert fake.creates == 1


@pytest.mark.parametrize(
    ("outcome", "state", "code", "message"),
    [
        ("blocked", TakeState.BLOCKED, "rai-media-filtered", FILTERED_REASON),
        ("fail", TakeState.FAILED, "INTERNAL", FAILED_MESSAGE),
    ],
)
def test_refused_and_failed_jobs_keep_the_providers_reason_and_cost_nothing(
    fake: VeoFake, tmp_path: Path, outcome: str, state: TakeState, code: str, message: str
) -> None:
    fake.outcome = outcome
    [out] = sweep(project(tmp_path))
    assert out.status == str(state)
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.state is state
    assert (record.error_code, record.error_message) == (code, message)
    assert record.cost_usd == 0
    assert take_run_tags(out.take_id)["takelab.status"] == str(state)
    assert fake.creates == 1


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_polls_are_retried_after_retry_after(
    fake: VeoFake, tmp_path: Path, sleeps: list[float], status: int
) -> None:
    fake.throttle_polls(status, retry_after="3", count=2)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message
    assert len(sleeps) == 2 and min(sleeps) >= 3
    assert fake.creates == 1


def test_a_create_whose_reply_is_lost_is_uncertain_and_never_resent(
    fake: VeoFake, tmp_path: Path
) -> None:
    fake.drop_create_reply()
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "uncertain"
    assert fake.creates == 1 and len(fake.operations) == 1
    journal = Journal(Home.from_env().journal)
    assert journal.spent(project="veo-test") == pytest.approx(PRICE)

    [again] = sweep(path)
    assert again.status == "uncertain"
    assert fake.creates == 1
    assert journal.spent(project="veo-test") == pytest.approx(PRICE)


def test_a_refused_create_fails_and_holds_nothing(fake: VeoFake, tmp_path: Path) -> None:
    fake.refuse_create(400, "durationSeconds must be one of 4, 6, 8")
    [out] = sweep(project(tmp_path))
    assert out.status == "failed"
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.cost_usd == 0 and record.error_code == "http-400"
    assert "durationSeconds must be one of" in (record.error_message or "")
    assert Journal(Home.from_env().journal).spent(project="veo-test") == 0
    assert fake.creates == 0


def test_a_missing_key_is_named_before_any_request(
    fake: VeoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(MissingKeyError, match="GEMINI_API_KEY"):
        sweep(project(tmp_path))
    assert fake.requests == 0


def test_google_api_key_is_accepted_too(
    fake: VeoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message


def test_a_duration_veo_cannot_make_is_stopped_by_lint(fake: VeoFake, tmp_path: Path) -> None:
    [out] = sweep(project(tmp_path, duration=5))
    assert out.status == "lint" and "too-long" in out.message
    assert fake.requests == 0
    request = TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="a cat",
        backend="veo",
        model="veo-3.1-fast-generate-001",
        duration_s=5,
        aspect="16:9",
        resolution="720p",
        seed=1,
    )
    backend = VeoBackend()
    with pytest.raises(UsageError, match="4, 6, 8 s"):
        backend.price(request)
    with pytest.raises(UsageError, match="4, 6, 8 s"):
        backend.video_config(request)


def test_the_key_is_never_written_or_logged(
    fake: VeoFake, tmp_path: Path, caplog: pytest.LogCaptureFixture
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
    fake: VeoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.outcome = "hang"
    monkeypatch.setattr(VeoBackend, "deadline_s", 0.05)
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "pending"
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id in fake.operations

    fake.release("succeed")
    monkeypatch.setattr(VeoBackend, "deadline_s", 10.0)
    [again] = sweep(path)
    assert again.status == "done", again.message
    assert fake.creates == 1


def test_an_expired_video_uri_fails_the_take_charged_and_settled(
    fake: VeoFake, tmp_path: Path
) -> None:
    """Vertex AI returns the video inline (base64 in the finished operation), which cannot
    expire: it arrives with the poll that says the job is done. The backend also downloads
    a video given as an https `uri` (a server that hands back a URL instead); that path is
    the one that can expire, tested here with a 404 as Google's storage answers for a
    deleted file. Google charges for every video it returns, so the take ends failed at the
    table price, and a rerun neither creates nor downloads again."""
    fake.expire_outputs = True
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "failed", out.message
    journal = Journal(Home.from_env().journal)
    record = journal.get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "output-expired"
    assert "404" in (record.error_message or "")
    assert record.cost_usd == pytest.approx(PRICE)
    assert journal.spent(project="veo-test") == pytest.approx(PRICE)
    tags = take_run_tags(out.take_id)
    assert tags["takelab.status"] == "failed"
    assert float(tags["cost_usd"]) == pytest.approx(PRICE)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert fake.creates == 1
    downloads = fake.server.count("GET", f"^{FILE}$")
    assert downloads == 1  # a 404 is not retried
    seen = fake.requests

    fake.expire_outputs = False
    [again] = sweep(path)
    assert again.status == "failed"
    assert fake.creates == 1
    assert fake.server.count("GET", f"^{FILE}$") == downloads
    assert fake.requests == seen  # settled: Vertex is not asked anything
    assert journal.spent(project="veo-test") == pytest.approx(PRICE)


# --- the shot model of Veo 3.1: last frame, references, extend, sound; retired ids --------


def test_last_frame_references_and_sound_are_sent_in_vertex_shape(
    fake: VeoFake, tmp_path: Path
) -> None:
    path = project(tmp_path)
    for name in ("last.png", "hero.png", "prop.png"):
        (path.parent / name).write_bytes(PNG + name.encode())
    extra = (
        "        image: first.png\n"
        "        end_image: last.png\n"
        "        references:\n"
        "          - {image: hero.png, role: character}\n"
        "          - prop.png\n"
        "        dialogue:\n"
        "          - {speaker: the cat, line: Feed me., at: 1}\n"
        "        sound: a clock ticks\n"
    )
    path = project(tmp_path, extra=extra)
    [out] = sweep(path)
    assert out.status == "done", out.message
    [op] = fake.operations.values()
    instance, params = op.body["instances"][0], op.body["parameters"]
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == PNG + b"last.png"
    refs = instance["referenceImages"]
    assert [r["referenceType"] for r in refs] == ["ASSET", "ASSET"]
    assert base64.b64decode(refs[0]["image"]["bytesBase64Encoded"]) == PNG + b"hero.png"
    assert params["generateAudio"] is True
    # Veo's order, with the line quoted and labelled and the sound cue last.
    prompt = instance["prompt"]
    assert 'Dialogue (at 1s): the cat says: "Feed me."' in prompt
    assert prompt.index("Camera:") < prompt.index("Ambience:") < prompt.index("Sound:")


def test_extend_sends_the_parent_takes_video(fake: VeoFake, tmp_path: Path) -> None:
    [parent] = sweep(project(tmp_path))
    assert parent.status == "done"
    [child] = sweep(project(tmp_path, extra=f"        extend: {parent.take_id[:8]}\n"))
    assert child.status == "done", child.message
    assert child.take_id != parent.take_id
    op = list(fake.operations.values())[-1]
    sent = base64.b64decode(op.body["instances"][0]["video"]["bytesBase64Encoded"])
    assert sent == Path(parent.path or "").read_bytes()
    record = Journal(Home.from_env().journal).get(child.take_id)
    assert record is not None and record.request.extend == parent.take_id


def test_a_retired_preview_id_is_refused_before_any_request(fake: VeoFake, tmp_path: Path) -> None:
    from takelab.backends.lifecycle import ModelRetiredError

    with pytest.raises(ModelRetiredError) as caught:
        run_sweep(project(tmp_path), backends=["veo:veo-3.1-fast-generate-preview"], progress=False)
    assert "veo:veo-3.1-fast-generate-001" in str(caught.value)
    assert "2026-10-22" in str(caught.value)
    assert fake.creates == 0 and fake.requests == 0


def test_a_404_no_longer_available_is_recorded_as_model_retired_and_not_resent(
    fake: VeoFake, tmp_path: Path
) -> None:
    fake.retired.add("veo-3.1-fast-generate-001")  # retired after the table was written
    path = project(tmp_path)
    [out] = sweep(path)
    assert out.status == "failed"
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and record.error_code == "model-retired"
    assert "no longer available" in (record.error_message or "")
    assert record.cost_usd == 0
    assert fake.creates == 1
    sweep(path)
    assert fake.creates == 1  # never retried


def test_the_project_route_uses_project_and_location_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "film-dept")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    assert VeoBackend().route() == (
        "project",
        {"project": "film-dept", "location": "europe-west4"},
    )
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    assert VeoBackend().route() == ("key", {"api_key": KEY})
