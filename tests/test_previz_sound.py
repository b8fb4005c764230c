"""previz renders the shot model's new fields: timed subtitles, a synthesised sound bed
muxed as AAC, reference thumbnails and the last frame blended in at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from takelab.backends import TakeRequest, get_backend
from takelab.backends._previz_overlay import Overlay
from takelab.backends._previz_sound import (
    RATE,
    parse_dialogue,
    parse_sound,
    synthesise,
    timed_lines,
)
from takelab.backends.previz import FPS, Animatic, render
from takelab.errors import BackendError
from takelab.media import io as media
from takelab.project.model import load_project
from takelab.sweep.plan import build_request

TALK = (
    "A woman in a red raincoat stands still at a noodle stall. Camera: static. "
    'Lighting: daylight. Dialogue (at 0.2s): the woman says: "One bowl." '
    'Dialogue (at 1s): the cook says: "Sure." Sound: light rain on a tarp.'
)


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TAKELAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def request(**kw: Any) -> TakeRequest:
    data: dict[str, Any] = {
        "project": "night-market",
        "shot": "order",
        "variant": "v1",
        "backend": "previz",
        "model": "animatic",
        "duration_s": 2.0,
        "aspect": "16:9",
        "resolution": "480p",
        "seed": 1,
        "prompt": TALK,
    }
    data.update(kw)
    return TakeRequest(**data)


def audio_of(path: Path) -> np.ndarray:
    """The decoded sound of a file as float samples (channels x n)."""
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(chunks, axis=1)


def test_parse_dialogue_both_layouts_and_sound() -> None:
    assert parse_dialogue(TALK) == [("the woman", "One bowl.", 0.2), ("the cook", "Sure.", 1.0)]
    block = 'A street.\n\nDialogue:\n- Mia says: "Hi."\n- (at 2s) Joe says: "Yo."'
    assert parse_dialogue(block) == [("Mia", "Hi.", None), ("Joe", "Yo.", 2.0)]
    assert parse_sound(TALK) == "light rain on a tarp"
    assert parse_sound("A quiet street.") is None


def test_lines_without_a_time_spread_over_the_clip() -> None:
    lines = timed_lines([("a", "one two", None), ("b", "three", None), ("a", "x", None)], 9.0)
    assert [round(x.start, 2) for x in lines] == [0.0, 3.0, 6.0]
    assert [x.voice for x in lines] == [0, 1, 0]  # one voice per speaker
    assert all(x.start < x.end <= 9.0 for x in lines)
    assert lines[0].end <= lines[1].start


def test_sound_bed_pitch_per_speaker_and_noise_for_the_cue() -> None:
    lines = timed_lines([("a", "one two three", 0.0), ("b", "four five six", 1.5)], 3.0)
    bed = synthesise(lines, None, 3.0, seed=1)
    assert bed.shape == (3 * RATE, 2) and bed.dtype == np.int16
    assert int(np.abs(bed).max()) < 32767 * 0.9  # never clips

    def pitch(a: float, b: float) -> float:
        chunk = bed[int(a * RATE) : int(b * RATE), 0].astype(float)
        spectrum = np.abs(np.fft.rfft(chunk * np.hanning(chunk.size)))
        return float(np.argmax(spectrum) * RATE / chunk.size)

    assert pitch(0.1, 0.9) == pytest.approx(220, abs=3)
    assert pitch(1.6, 2.4) == pytest.approx(293.7, abs=3)
    quiet = synthesise([], None, 1.0, seed=1)
    assert not quiet.any()
    noise = synthesise([], "rain", 1.0, seed=1)
    assert np.abs(noise).mean() > 100
    assert np.array_equal(noise, synthesise([], "rain", 1.0, seed=1))


def test_take_with_sound_has_an_aac_track_as_long_as_the_picture(tmp_path: Path) -> None:
    out = render(request(audio=True), tmp_path / "take.mp4")
    info = media.check_decodes(out)
    assert info.has_audio
    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        assert stream.codec_context.sample_rate == RATE
    samples = audio_of(out)
    assert samples.shape[1] / RATE == pytest.approx(2.0, abs=0.1)
    assert float(np.abs(samples).max()) > 0.1
    assert not list(tmp_path.glob("*.wav"))  # the sound bed's scratch file is gone


def test_same_request_same_bytes_with_sound(tmp_path: Path) -> None:
    a = render(request(audio=True), tmp_path / "a.mp4").read_bytes()
    b = render(request(audio=True), tmp_path / "b.mp4").read_bytes()
    assert a == b


def test_audio_false_is_silent_and_default_follows_the_prompt(tmp_path: Path) -> None:
    assert not media.probe(render(request(audio=False), tmp_path / "a.mp4")).has_audio
    assert Animatic(request()).has_sound  # lines in the prompt: sound by default
    plain = request(prompt="A man stands still on a street in soft daylight.")
    assert not Animatic(plain).has_sound
    assert not media.probe(render(plain, tmp_path / "b.mp4")).has_audio


def test_subtitles_show_while_a_line_is_spoken() -> None:
    talk = Animatic(request())
    # The same animatic with no subtitles: the same prompt (so the same caption strip and
    # scene), its overlay rebuilt without the spoken lines.
    quiet = Animatic(request())
    quiet.overlay = Overlay(
        quiet.width,
        quiet.height,
        quiet.height - quiet.strip_h,
        quiet.frames,
        FPS,
        [],
        quiet.request.reference_paths,
        quiet.request.end_image_path,
    )
    band = slice(talk.height - talk.strip_h - talk.height // 6, talk.height - talk.strip_h)

    def differs(i: int) -> bool:
        a = talk.render_frame(i)[band].astype(int)
        b = quiet.render_frame(i)[band].astype(int)
        return bool(np.abs(a - b).max() > 60)

    assert not differs(0)  # before the first line (at 0.2 s)
    assert differs(10)  # the woman speaks
    assert differs(30)  # the cook speaks


def test_references_show_as_thumbnails_and_the_end_frame_blends_in(tmp_path: Path) -> None:
    ref = tmp_path / "ref.png"
    Image.new("RGB", (64, 36), (0, 255, 0)).save(ref)
    end = tmp_path / "end.png"
    Image.new("RGB", (64, 36), (255, 0, 255)).save(end)
    anim = Animatic(request(reference_paths=(str(ref),), end_image_path=str(end)))
    first = anim.render_frame(0).copy()
    x, y, sprite = anim.overlay.thumbs[0]
    centre = first[y + sprite.h // 2, x + sprite.w // 2]
    assert tuple(centre) == (0, 255, 0)
    last = anim.render_frame(anim.frames - 1)
    middle = last[anim.height // 2, anim.width // 3].astype(int)
    assert np.abs(middle - (255, 0, 255)).max() < 8  # the last frame is the end image
    assert np.abs(first[anim.height // 2, anim.width // 3].astype(int) - (255, 0, 255)).max() > 60


def test_unreadable_reference_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "ref.png"
    bad.write_text("not an image")
    with pytest.raises(BackendError, match="reference image"):
        Animatic(request(reference_paths=(str(bad),)))


def test_example_night_market_renders_with_subtitles_and_sound(tmp_path: Path) -> None:
    project = load_project(Path(__file__).parents[1] / "prompts" / "night-market.yaml")
    shot = project.shots[0]
    req = build_request(project, shot, shot.variants[0], get_backend("previz"), 1)
    assert req.audio and req.reference_paths
    anim = Animatic(req)
    assert [x.speaker for x in anim.lines] == ["the woman", "the cook"]
    assert len(anim.overlay.thumbs) == 2


def test_an_extending_take_starts_from_its_parents_last_frame(tmp_path: Path) -> None:
    first = tmp_path / "first.png"
    Image.new("RGB", (64, 36), (200, 40, 160)).save(first)
    parent = render(request(image_path=str(first), audio=False), tmp_path / "parent.mp4")
    child = Animatic(request(extend="0" * 16, extend_path=str(parent), audio=False))
    plain = Animatic(request(audio=False))
    corner = (slice(0, 20), slice(0, 40))
    start = child.render_frame(0)[corner].astype(int).mean(axis=(0, 1))
    assert np.abs(start - (200, 40, 160)).max() < 60
    assert np.abs(plain.render_frame(0)[corner].astype(int).mean(axis=(0, 1)) - start).max() > 60
    with pytest.raises(BackendError, match="extended take"):
        Animatic(request(extend="0" * 16, extend_path=str(tmp_path / "gone.mp4")))
