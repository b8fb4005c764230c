"""The luma backend end to end against a fake of Luma's Dream Machine API."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.contract import fake_fixture, take_request, write_project
from fakes.luma_fake import LumaFake
from takelab.backends import TakeRequest
from takelab.backends.luma import LumaBackend
from takelab.errors import UsageError
from takelab.sweep.run import run_sweep

PRICE = 0.71  # ray-2, 5 s at 720p


fake = fake_fixture("luma")


def project(tmp_path: Path, *, duration: int = 5, extra: str = "") -> Path:
    return write_project(tmp_path / "proj", "luma-test", duration=duration, extra=extra)


def sweep(path: Path) -> list:  # type: ignore[type-arg]
    return run_sweep(path, backends=["luma"], progress=False).outcomes


def request(duration: float = 5) -> TakeRequest:
    return take_request("luma", "ray-2", duration_s=duration)


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: Luma's own.


def test_a_generation_is_sent_in_lumas_names_without_a_negative_prompt(
    fake: LumaFake, caplog: pytest.LogCaptureFixture
) -> None:
    backend = LumaBackend()
    job = backend.submit(request().model_copy(update={"negative": "text, watermark"}))
    sent = dict(fake.generations[job]["request"])
    assert sent.pop("prompt") == "a cat"
    assert sent == {
        "generation_type": "video",
        "model": "ray-2",
        "aspect_ratio": "16:9",
        "duration": "5s",
        "resolution": "720p",
    }
    assert "no negative prompt" in caplog.text


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
