"""previz: the offline animatic renderer and its backend lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from takelab.backends import JobState, TakeRequest, get_backend
from takelab.backends.previz import (
    FPS,
    PrevizBackend,
    parse_camera,
    parse_light,
    parse_motion,
    parse_subject,
    render,
    scene_fields,
)
from takelab.errors import BackendError
from takelab.media import io as media
from takelab.project.model import ASPECTS, RESOLUTIONS, frame_size, render_fields

STILL = "a man in a red coat"


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TAKELAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def request(**kw: Any) -> TakeRequest:
    fields = kw.pop("fields", None)
    data: dict[str, Any] = {
        "project": "tokyo-rain",
        "shot": "street-walk",
        "variant": "v2",
        "backend": "previz",
        "model": "animatic",
        "duration_s": 1.0,
        "aspect": "16:9",
        "resolution": "480p",
        "seed": 1,
    }
    data.update(kw)
    if fields is not None:
        data["fields"] = fields
        data.setdefault("prompt", render_fields(**fields))
    data.setdefault("prompt", "A man stands still on a street in soft daylight.")
    return TakeRequest(**data)


def still(**fields: str) -> dict[str, str]:
    """Structured fields of a shot where nothing moves unless a field says so."""
    base = {"subject": STILL, "action": "stands still", "camera": "static", "lighting": "daylight"}
    return {**base, **fields}


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def picture(frame: np.ndarray) -> np.ndarray:
    """The frame above the caption strip (the prompt and the shot line: 14% at 480p)."""
    return frame[: int(frame.shape[0] * 0.85)]


def red_mask(frame: np.ndarray) -> np.ndarray:
    """Pixels of a red subject (in any light): red well above green and blue."""
    f = frame.astype(int)
    return (f[..., 0] > 80) & (f[..., 0] > f[..., 1] + 60) & (f[..., 0] > f[..., 2] + 60)


def red_area(frame: np.ndarray) -> int:
    return int(red_mask(frame).sum())


# --- settings honoured ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aspect", "resolution", "duration"),
    [("16:9", "480p", 1.0), ("9:16", "480p", 1.5), ("1:1", "540p", 1.0), ("21:9", "480p", 1.25)],
)
def test_duration_and_frame_size(
    aspect: str, resolution: str, duration: float, tmp_path: Path
) -> None:
    req = request(aspect=aspect, resolution=resolution, duration_s=duration)
    info = media.check_decodes(render(req, tmp_path / "take.mp4"))
    assert (info.width, info.height) == frame_size(aspect, resolution)
    assert info.frames == round(duration * FPS)
    assert abs(info.duration_s - duration) <= 1 / FPS
    assert (info.codec, info.pix_fmt, info.has_audio) == ("h264", "yuv420p", False)


def test_720p_16_9(tmp_path: Path) -> None:
    info = media.probe(render(request(resolution="720p"), tmp_path / "take.mp4"))
    assert (info.width, info.height, info.frames) == (1280, 720, 24)


def test_same_request_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    req = request(fields={"subject": "a dancer", "action": "jumps", "camera": "handheld"})
    a = render(req, tmp_path / "a.mp4").read_bytes()
    b = render(req, tmp_path / "b.mp4").read_bytes()
    assert a == b
    other = render(req.model_copy(update={"seed": 2}), tmp_path / "c.mp4")
    assert other.read_bytes() != a
    # The seed changes the picture itself, not only the caption.
    assert (
        np.abs(
            picture(decode(other)[0]).astype(int) - picture(decode(tmp_path / "a.mp4")[0])
        ).mean()
        > 1
    )


def test_progress_reaches_one(tmp_path: Path) -> None:
    seen: list[float] = []
    render(request(), tmp_path / "take.mp4", progress=seen.append)
    assert len(seen) == FPS
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


# --- what it draws ----------------------------------------------------------------------


def test_light_changes_when_the_text_says_so(tmp_path: Path) -> None:
    req = request(duration_s=2.0, fields=still(lighting="golden hour, sun setting"))
    frames = decode(render(req, tmp_path / "sunset.mp4"))
    first, last = picture(frames[0]).mean(), picture(frames[-1]).mean()
    assert first - last > 40


def test_light_stays_when_the_text_does_not_change(tmp_path: Path) -> None:
    req = request(duration_s=2.0, fields=still(lighting="golden hour"))
    frames = decode(render(req, tmp_path / "golden.mp4"))
    assert abs(picture(frames[0]).mean() - picture(frames[-1]).mean()) < 2


def test_lights_flicker_on_brightens(tmp_path: Path) -> None:
    req = request(duration_s=2.0, fields=still(lighting="night street, neon lights flicker on"))
    frames = decode(render(req, tmp_path / "on.mp4"))
    assert picture(frames[-1]).mean() - picture(frames[0]).mean() > 5


@pytest.mark.parametrize(
    "fields",
    [
        still(camera="slow dolly in"),
        still(camera="zoom in"),
        still(action="walks toward camera"),
    ],
    ids=["dolly-in", "zoom-in", "walk-toward"],
)
def test_subject_grows(fields: dict[str, str], tmp_path: Path) -> None:
    frames = decode(render(request(fields=fields), tmp_path / "grow.mp4"))
    first, last = red_area(picture(frames[0])), red_area(picture(frames[-1]))
    assert first > 500
    assert last > first * 1.25


def test_walk_away_shrinks_subject(tmp_path: Path) -> None:
    frames = decode(render(request(fields=still(action="walks away")), tmp_path / "away.mp4"))
    assert red_area(picture(frames[-1])) < red_area(picture(frames[0])) * 0.8


def best_shift(a: np.ndarray, b: np.ndarray, limit: int = 200) -> int:
    """The horizontal shift s with b[:, x] ~ a[:, x + s]."""
    ga, gb = a.mean(axis=2), b.mean(axis=2)
    width = ga.shape[1]
    errors = {}
    for s in range(-limit, limit + 1):
        lo, hi = max(0, -s), min(width, width - s)
        errors[s] = np.abs(ga[:, lo + s : hi + s] - gb[:, lo:hi]).mean()
    return min(errors, key=errors.__getitem__)


@pytest.mark.parametrize(("camera", "sign"), [("pan right", 1), ("pan left", -1)])
def test_pan_moves_content_horizontally(camera: str, sign: int, tmp_path: Path) -> None:
    frames = decode(render(request(fields=still(camera=camera)), tmp_path / "pan.mp4"))
    band = slice(int(0.2 * frames[0].shape[0]), int(0.55 * frames[0].shape[0]))
    shift = best_shift(frames[0][band], frames[-1][band])
    assert sign * shift > 40  # panning right, the scene slides left


def test_static_camera_keeps_content_in_place(tmp_path: Path) -> None:
    frames = decode(render(request(fields=still()), tmp_path / "static.mp4"))
    band = slice(int(0.2 * frames[0].shape[0]), int(0.55 * frames[0].shape[0]))
    assert best_shift(frames[0][band], frames[-1][band], limit=20) == 0


def test_subject_moves_right(tmp_path: Path) -> None:
    frames = decode(render(request(fields=still(action="walks to the right")), tmp_path / "r.mp4"))

    def centre_x(frame: np.ndarray) -> float:
        return float(np.nonzero(red_mask(picture(frame)))[1].mean())

    assert centre_x(frames[-1]) - centre_x(frames[0]) > 100


def test_caption_strip(tmp_path: Path) -> None:
    frame = decode(render(request(fields=still()), tmp_path / "c.mp4"))[0].astype(int)
    h = frame.shape[0]
    strip, above = frame[int(h * 0.95) :], frame[int(h * 0.75) : int(h * 0.8)]
    assert abs(strip.mean() - above.mean()) > 30  # a dark band, not the street
    assert (strip.min(axis=2) > 180).sum() > 50  # with light text in it


def test_caption_strip_shows_the_prompt() -> None:
    from takelab.backends._previz_sprites import _font
    from takelab.backends.previz import Animatic, _wrap

    short = Animatic(request(prompt="A cat sits on a mat, static shot, daylight"))
    long_text = " ".join(["a black cat walks slowly along the old stone wall"] * 8)
    long = Animatic(request(prompt=long_text))
    # The prompt sits above the shot line; a longer prompt wraps to two lines, then stops.
    assert long.strip_h > short.strip_h and long.strip_h <= long.height * 0.15
    band = short.strip[: short.strip_h - 30]
    assert (band.min(axis=2) > 150).sum() > 30  # light text on the dark strip
    assert not np.array_equal(short.strip[:10], long.strip[:10])
    assert np.array_equal(short.strip[-30:], long.strip[-30:])  # the same shot line
    font = _font(11)
    lines = _wrap(long_text, font, 400, max_lines=2)
    assert len(lines) == 2 and lines[1].endswith("...")
    assert all(font.getlength(line) <= 400 for line in lines)
    assert _wrap("two words", font, 400, max_lines=2) == ["two words"]


def test_first_frame_image_is_the_background(tmp_path: Path) -> None:
    image = tmp_path / "ref.png"
    Image.new("RGB", (320, 180), (20, 200, 40)).save(image)
    req = request(fields=still(), image_path=str(image), image_sha256="0" * 64)
    corner = decode(render(req, tmp_path / "img.mp4"))[0][:40, :40].reshape(-1, 3).mean(axis=0)
    assert corner[1] > corner[0] + 60 and corner[1] > corner[2] + 60


def test_free_prompt_renders(tmp_path: Path) -> None:
    req = request(
        prompt="A woman in a red raincoat walks toward the camera on a rainy Tokyo street at "
        "night. Neon signs reflect on the wet asphalt. Slow dolly back."
    )
    frames = decode(render(req, tmp_path / "free.mp4"))
    assert len(frames) == FPS
    assert picture(frames[0]).mean() < 60  # night
    assert red_area(picture(frames[0])) > 500


# --- reading the text -------------------------------------------------------------------


def test_parse_subject() -> None:
    s = parse_subject("a woman in a red raincoat")
    assert (s.colour, s.kind) == ((210, 38, 38), "figure")
    assert parse_subject("a black cat on a windowsill").kind == "animal"
    assert parse_subject("a lighthouse").colour is None
    assert len(parse_subject("x" * 80).label) <= 34


def test_parse_light() -> None:
    start, end, _ = parse_light("golden hour, sun setting")
    assert start != end and end.ambient < start.ambient
    start, end, _ = parse_light("neon reflections on wet asphalt, rain easing")
    assert start.haze > end.haze
    assert start.glows and len(start.glows) == 2  # magenta and cyan
    start, end, _ = parse_light("from daylight to dusk")
    assert start.horizon != end.horizon
    start, end, _ = parse_light("soft overcast light")
    assert start == end
    assert parse_light("lights flicker on")[2] is True


def test_parse_motion_and_camera() -> None:
    m = parse_motion("walks toward camera, then pauses to look up")
    assert m.depth > 0 and m.hold < 1 and m.look_up
    assert parse_motion("walks away").depth < 0
    assert parse_motion("jumps").bounce > 0
    assert parse_motion("turns to the left").dx == 0
    assert parse_camera("slow dolly back at eye level").dolly < 0
    assert parse_camera("pan left").pan < 0
    assert parse_camera("tilt up").tilt > 0
    assert parse_camera("orbit around her").orbit != 0
    assert parse_camera("handheld").handheld > 0
    assert parse_camera("static, locked-off").travels is False


def test_scene_fields_from_rendered_prompt() -> None:
    prompt = render_fields(
        subject="a woman in a red raincoat",
        secondary="a black cat on a windowsill",
        action="walks toward camera",
        camera="pan left",
        lighting="sun setting",
    )
    f = scene_fields(prompt, {})
    assert f["subject"] == "A woman in a red raincoat"
    assert f["secondary"] == "a black cat on a windowsill"
    assert f["camera"] == "pan left"
    assert f["lighting"] == "sun setting"
    assert "toward camera" in f["action"]


# --- the backend ------------------------------------------------------------------------


def test_capabilities_and_price() -> None:
    backend = get_backend("previz")
    assert isinstance(backend, PrevizBackend)
    assert backend.spec == "previz:animatic"
    caps = backend.capabilities()
    assert caps.durations is None and (caps.min_duration_s, caps.max_duration_s) == (1, 60)
    assert caps.aspects == ASPECTS and caps.resolutions == RESOLUTIONS
    assert caps.seed and caps.image_input
    # The animatic takes every input of the shot model, so a project is tried before money.
    assert caps.audio and caps.dialogue and caps.end_frame and caps.extend and caps.multi_shot
    assert caps.max_references == 9
    assert backend.price(request(duration_s=60)) == 0.0


def test_submit_poll_fetch(home: Path, tmp_path: Path) -> None:
    backend = PrevizBackend()
    req = request(fields=still())
    job_id = backend.submit(req)
    assert job_id == f"previz-{req.take_id}"
    status = backend.poll(job_id)
    assert (status.state, status.progress) == (JobState.SUCCEEDED, 1.0)
    assert not list((home / "tmp" / "previz").glob("*.part"))
    dest = backend.fetch(job_id, tmp_path / "out" / "take.mp4")
    assert dest == tmp_path / "out" / "take.mp4"
    assert media.check_decodes(dest).frames == FPS
    lost = backend.poll(job_id)  # fetched: the rendered file has moved
    assert (lost.state, lost.error_code) == (JobState.FAILED, "lost")
    assert "rerun" in (lost.error_message or "")
    with pytest.raises(BackendError, match="rerun"):
        backend.fetch(job_id, tmp_path / "again.mp4")


def test_unknown_job_is_lost() -> None:
    status = PrevizBackend().poll("previz-0000000000000000")
    assert status.state is JobState.FAILED and status.error_code == "lost"


def test_submit_rejects_what_it_cannot_render() -> None:
    with pytest.raises(BackendError, match="duration"):
        PrevizBackend().submit(request(duration_s=61))
