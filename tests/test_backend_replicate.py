"""The Replicate backend against a fake of Replicate's API: money-safe creates, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.contract import fake_fixture, record
from fakes.replicate_fake import FILE, ReplicateFake
from takelab.backends import TakeRequest, get_backend
from takelab.backends.replicate import KLING_MASTER, ReplicateBackend
from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep

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


fake = fake_fixture("replicate")


@pytest.fixture
def waits(fake: object, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What the backend's retries asked to wait (recorded, not slept)."""
    seen: list[float] = []
    monkeypatch.setattr(ReplicateBackend, "_sleep", lambda self, s: seen.append(s))
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


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: Replicate's own.


def test_a_prediction_is_made_on_the_models_own_route_and_its_video_comes_without_the_key(
    fake: ReplicateFake, waits: list[float], tmp_path: Path
) -> None:
    backend = ReplicateBackend()
    job = backend.submit(request())
    (p,) = fake.predictions.values()
    assert job == p.id and p.model == KLING_MASTER
    assert p.input == {"prompt": request().prompt, "duration": 5, "aspect_ratio": "16:9"}
    assert fake.server.saw_header_value(f"Bearer {KEY}")
    while not backend.poll(job).state.terminal:
        pass
    assert media.check_decodes(backend.fetch(job, tmp_path / "v.mp4")).duration_s > 0
    assert all("authorization" not in h for m, p_, h in fake.server.log if p_.startswith("/files"))
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.price(request(duration_s=8.0))
    with pytest.raises(UsageError, match="allowed: 5, 10 s"):
        backend.model_input(request(duration_s=8.0))


def test_a_first_frame_image_is_sent_as_a_data_uri(
    fake: ReplicateFake, waits: list[float], tmp_path: Path
) -> None:
    (out,) = sweep(project(tmp_path, image=True)).outcomes
    assert out.status == "done", out.message
    (p,) = fake.predictions.values()
    assert str(p.input["start_image"]).startswith("data:image/png;base64,")
    assert not any(path.startswith("/v1/files") for _, path, _ in fake.server.log)  # no upload


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
        # (The output URL on replicate.delivery answering 404 is in the contract suite.)
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
