"""The fal backend against a fake of fal's queue: money-safe creates, statuses, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.contract import fake_fixture, record
from fakes.fal_fake import FalFake
from takelab.backends import TakeRequest, get_backend
from takelab.backends.fal import HUNYUAN, KLING, KLING3_STANDARD, LTX, PIKA, WAN, FalBackend
from takelab.errors import UsageError
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep

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


fake = fake_fixture("fal")


@pytest.fixture
def waits(fake: object, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What the backend's retries asked to wait (recorded, not slept)."""
    seen: list[float] = []
    monkeypatch.setattr(FalBackend, "_sleep", lambda self, s: seen.append(s))
    return seen


def project(tmp_path: Path, duration: float = 5) -> Path:
    path = tmp_path / "proj" / "falproj.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROJECT.format(duration=duration, prompt=PROMPT))
    return path


def sweep(path: Path, spec: str = f"fal:{KLING}") -> SweepResult:
    return run_sweep(path, backends=[spec], progress=False, concurrency=1)


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: fal's own.


def test_a_job_id_names_the_app_and_its_video_comes_without_the_key(
    fake: FalFake, waits: list[float], tmp_path: Path
) -> None:
    backend = FalBackend(KLING)
    job = backend.submit(request(KLING))
    assert job == f"{KLING}|req-0001"
    # Kling on fal: duration as the string "5" or "10", no seed control.
    assert fake.jobs["req-0001"].arguments == {
        "prompt": request(KLING).prompt,
        "duration": "5",
        "aspect_ratio": "16:9",
    }
    assert fake.server.saw_header_value(f"Key {KEY}")
    while not backend.poll(job).state.terminal:
        pass
    assert media.check_decodes(backend.fetch(job, tmp_path / "v.mp4")).duration_s > 0
    assert all("authorization" not in h for m, p, h in fake.server.log if p.startswith("/files/"))
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.price(request(KLING, duration_s=7))
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.arguments(request(KLING, duration_s=7))


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
    assert FalBackend.default_model == KLING3_STANDARD  # fal's current Kling


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
