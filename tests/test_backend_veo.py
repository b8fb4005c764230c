"""The veo backend end to end against a fake of Vertex AI's Veo endpoints."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from fakes.contract import PNG, fake_fixture, write_project
from fakes.veo_fake import VeoFake
from takelab.backends import TakeRequest
from takelab.backends.veo import VeoBackend
from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal.store import Journal
from takelab.sweep.run import run_sweep

KEY = "canary-secret-123"
PRICE = 0.15 * 4  # veo-3.1-fast-generate-001, 4 s


fake = fake_fixture("veo")


def project(tmp_path: Path, *, duration: int = 4, extra: str = "") -> Path:
    return write_project(tmp_path / "proj", "veo-test", duration=duration, extra=extra)


def sweep(path: Path) -> list:  # type: ignore[type-arg]
    return run_sweep(path, backends=["veo"], progress=False).outcomes


# Create, poll, download, each error class, moderation, resume by id and a dropped create
# are the contract of every provider: tests/test_backend_contract.py. Here: Veo's own.


def test_a_take_is_sent_in_vertex_shape(fake: VeoFake, tmp_path: Path) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(PNG)
    request = TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="a black cat",
        negative="text, watermark",
        backend="veo",
        model="veo-3.1-fast-generate-001",
        duration_s=4,
        aspect="16:9",
        resolution="720p",
        seed=1,
        image_path=str(image),
        image_sha256="ab",
    )
    backend = VeoBackend()
    assert backend.price(request) == pytest.approx(PRICE)
    op = fake.operations[backend.submit(request)]
    instance, params = op.body["instances"][0], op.body["parameters"]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == PNG
    assert instance["image"]["mimeType"] == "image/png"
    assert instance["prompt"] == "a black cat"
    assert params == {
        "sampleCount": 1,
        "durationSeconds": 4,
        "aspectRatio": "16:9",
        "resolution": "720p",
        "seed": 1,
        "negativePrompt": "text, watermark",
        "generateAudio": True,
    }
    five = request.model_copy(update={"duration_s": 5.0})
    with pytest.raises(UsageError, match="4, 6, 8 s"):
        backend.price(five)
    with pytest.raises(UsageError, match="4, 6, 8 s"):
        backend.video_config(five)


def test_google_api_key_is_accepted_too(
    fake: VeoFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    [out] = sweep(project(tmp_path))
    assert out.status == "done", out.message


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
