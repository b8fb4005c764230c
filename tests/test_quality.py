"""quality: metrics and flags on generated clips whose properties are known, and `takelab qa`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from takelab.media.io import FrameWriter
from takelab.media.quality import FLAGS, Expected, Quality, measure

U8 = NDArray[np.uint8]


def dead_leaves(width: int, height: int, seed: int) -> U8:
    """A 'dead leaves' picture: overlapping discs of power-law sizes, sharp edges at every
    scale, so its statistics resemble a natural photograph's."""
    rng = np.random.default_rng(seed)
    base = tuple(int(v) for v in rng.integers(40, 200, 3))
    img = Image.new("RGB", (width, height), base)
    draw = ImageDraw.Draw(img)
    count = width * height // 60
    radii = np.clip((rng.pareto(1.6, count) + 1) * 2.0, 2, max(width, height) / 6)
    for r in np.sort(radii)[::-1]:
        x, y = rng.uniform(-r, width + r), rng.uniform(-r, height + r)
        colour = tuple(int(v) for v in rng.integers(10, 246, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return np.asarray(img)


@dataclass(frozen=True)
class Clip:
    """A synthetic clip: a textured scene seen through a moving window, plus defects."""

    name: str
    motion: str = "pan"  # still | slow | pan | fast | tilt | subject
    width: int = 256
    height: int = 144
    seconds: float = 1.5
    fps: int = 24
    blur: float = 0.0  # Gaussian radius in px
    flicker: float = 0.0  # brightness wobble, +- levels
    cut: bool = False
    frozen: float = 0.0  # share of the clip held on its last moving frame, at the end
    doubled: bool = False  # every picture shown twice (12 fps content at 24 fps)
    black: float = 0.0  # share of black frames (at the end, or in the middle with a cut)
    seed: int = 1
    asked: tuple[int, int] | None = None  # the size requested, when it differs
    flags: frozenset[str] = field(default_factory=frozenset)

    def expected(self) -> Expected:
        w, h = self.asked or (self.width, self.height)
        return Expected(duration_s=self.seconds, width=w, height=h, fps=self.fps)


SPEED = {
    "still": (0, 0),
    "slow": (1, 0),
    "pan": (2, 0),
    "fast": (14, 3),
    "tilt": (0, 2),
    "subject": (0, 0),
}


def write_clip(clip: Clip, dest: Path) -> Path:
    w, h = clip.width, clip.height
    n = round(clip.seconds * clip.fps)
    vx, vy = SPEED[clip.motion]
    rng = np.random.default_rng(clip.seed + 1000)

    def scene(seed: int) -> U8:
        canvas = dead_leaves(w + abs(vx) * n + 8, h + abs(vy) * n + 8, seed)
        if clip.blur:
            blurred = Image.fromarray(canvas).filter(ImageFilter.GaussianBlur(clip.blur))
            canvas = np.asarray(blurred)
        return canvas

    scenes = [scene(clip.seed), scene(clip.seed + 500)]
    sprite = dead_leaves(w // 4, h // 3, clip.seed + 7)
    n_frozen = round(clip.frozen * n)
    n_black = round(clip.black * n)
    black_at = range(n // 2 - n_black // 2, n // 2 + (n_black + 1) // 2) if clip.cut else None
    with FrameWriter(dest, w, h, clip.fps) as out:
        for i in range(n):
            t = min(i, n - 1 - n_frozen)
            t -= t % 2 if clip.doubled else 0
            canvas = scenes[1 if clip.cut and t >= n // 2 else 0]
            x, y = 4 + vx * t, 4 + vy * t
            frame = canvas[y : y + h, x : x + w].astype(np.int16)
            if clip.motion == "subject":  # a textured object crossing a still background
                sx = round((w - sprite.shape[1]) * t / max(1, n - 1))
                sy = h // 3 + round(h / 8 * np.sin(t / 5))
                frame[sy : sy + sprite.shape[0], sx : sx + sprite.shape[1]] = sprite
            if clip.motion == "still":  # sensor grain: a still scene, not a frozen picture
                frame += rng.normal(0, 5, frame.shape[:2]).astype(np.int16)[..., None]
            if clip.flicker:
                frame += round(clip.flicker * (1 if i % 2 else -1) * rng.uniform(0.7, 1.3))
            is_black = i in black_at if black_at is not None else i >= n - n_black
            if is_black:
                frame[:] = 4
            out.write(np.clip(frame, 0, 255).astype(np.uint8))
    return dest


def _clips() -> list[Clip]:
    clips: list[Clip] = []

    def add(name: str, flags: set[str], **kw: object) -> None:
        clips.append(Clip(name=name, flags=frozenset(flags), **kw))  # type: ignore[arg-type]

    for seed in (1, 2, 3):
        add(f"pan-{seed}", set(), seed=seed)
        add(f"still-{seed}", {"static"}, motion="still", seed=seed)
        add(f"blurry-pan-{seed}", {"blurry"}, blur=2.5, seed=seed)
        add(f"flicker-still-{seed}", {"static", "flickering"}, motion="still", flicker=6, seed=seed)
        add(f"cut-pan-{seed}", {"has-cut"}, cut=True, seed=seed)
        add(f"frozen-tail-{seed}", {"frozen"}, frozen=0.4, seed=seed)
        add(f"black-tail-{seed}", {"black"}, black=0.3, seed=seed)
        add(f"wrong-size-{seed}", {"nonconforming"}, seed=seed, asked=(320, 180))
    for seed in (4, 5):
        add(f"fast-pan-{seed}", set(), motion="fast", seed=seed)
        add(f"tilt-{seed}", set(), motion="tilt", seed=seed)
        add(f"subject-{seed}", set(), motion="subject", seed=seed)
        add(f"blurry-still-{seed}", {"static", "blurry"}, motion="still", blur=2.5, seed=seed)
        add(f"flicker-pan-{seed}", {"flickering"}, flicker=6, seed=seed)
        add(f"cut-fast-{seed}", {"has-cut"}, motion="fast", cut=True, seed=seed)
        add(f"cut-still-{seed}", {"static", "has-cut"}, motion="still", cut=True, seed=seed)
        add(f"black-middle-{seed}", {"black"}, cut=True, black=0.3, seed=seed)
    add("blurry-cut", {"blurry", "has-cut"}, blur=2.5, cut=True, seed=6)
    add("frozen-blurry", {"frozen", "blurry"}, blur=2.5, frozen=0.5, seed=6)
    add("flicker-cut", {"flickering", "has-cut"}, flicker=6, cut=True, seed=6)
    add(
        "flicker-cut-still",
        {"static", "flickering", "has-cut"},
        motion="still",
        flicker=6,
        cut=True,
    )
    add("subject-frozen", {"frozen"}, motion="subject", frozen=0.4, seed=6)
    add("portrait-pan", set(), width=144, height=256, seed=6)
    add("portrait-wrong", {"nonconforming"}, width=144, height=256, asked=(256, 144), seed=7)
    add("big-still", {"static"}, motion="still", width=640, height=360, seed=7)
    add("big-blurry", {"blurry"}, width=640, height=360, blur=3.5, seed=7)
    add("short-pan", set(), seconds=1.0, seed=8)
    add("slow-pan", set(), motion="slow", seed=8)
    add("doubled-frames-ok", set(), doubled=True, seed=8)
    add("black-blip-ok", set(), black=0.06, seed=8)
    add("flicker-moderate", {"static", "flickering"}, motion="still", flicker=3, seed=9)
    add("flicker-moderate-pan", {"flickering"}, flicker=3, seed=10)
    add("all-frozen", {"static"}, frozen=0.97, seed=8)
    add("mild-blur-ok", set(), blur=0.6, seed=9)
    add("mild-flicker-ok", {"static"}, motion="still", flicker=1, seed=9)
    add("mild-flicker-pan-ok", set(), flicker=1, seed=10)
    return clips


CLIPS = _clips()


@pytest.mark.parametrize("clip", CLIPS, ids=[c.name for c in CLIPS])
def test_flags_on_generated_clips(clip: Clip, tmp_path: Path) -> None:
    q = measure(write_clip(clip, tmp_path / "clip.mp4"), clip.expected())
    assert set(q.flags) == clip.flags, q.model_dump_json(indent=1)


def test_generated_set_is_large_and_covers_every_flag() -> None:
    assert len(CLIPS) >= 40
    # `corrupt` needs a damaged bitstream: tests/test_quality_footage.py has one.
    assert {f for c in CLIPS for f in c.flags} == set(FLAGS) - {"corrupt"}


def test_motion_is_in_pixels_per_frame_at_160_px(tmp_path: Path) -> None:
    """A pan of 2 px/frame on a 256 px wide clip is 1.25 px/frame at the analysis width."""
    q = measure(write_clip(Clip("pan"), tmp_path / "pan.mp4"))
    assert q.motion == pytest.approx(1.25, rel=0.2)
    still = measure(write_clip(Clip("still", motion="still"), tmp_path / "still.mp4"))
    assert still.motion < 0.02


def test_conforms_within_tolerance(tmp_path: Path) -> None:
    clip = write_clip(Clip("pan", seconds=1.0), tmp_path / "pan.mp4")
    assert measure(clip, Expected(duration_s=1.1, width=256, height=144, fps=24)).conforms
    assert measure(clip).conforms  # nothing asked
    off = measure(clip, Expected(duration_s=2.0, fps=30))
    assert not off.conforms
    assert off.flags == ["nonconforming"]
    assert len(off.mismatches) == 2


# --- previz animatics -------------------------------------------------------------------


def _previz(tmp_path: Path, camera: str, action: str = "stands still") -> Quality:
    from takelab.backends import TakeRequest
    from takelab.backends.previz import render
    from takelab.project.model import render_fields

    fields = {"subject": "a man in a red coat", "action": action, "camera": camera}
    fields["lighting"] = "soft daylight"
    req = TakeRequest.model_validate(
        {
            "project": "p",
            "shot": "s",
            "variant": "v",
            "backend": "previz",
            "model": "animatic",
            "duration_s": 2.0,
            "aspect": "16:9",
            "resolution": "480p",
            "seed": 1,
            "fields": fields,
            "prompt": render_fields(**fields),
        }
    )
    return measure(render(req, tmp_path / "take.mp4"))


@pytest.mark.parametrize(
    ("camera", "action"),
    [("slow pan right", "stands still"), ("tilt up", "stands still"), ("static", "walks left")],
)
def test_previz_that_moves_is_not_static(tmp_path: Path, camera: str, action: str) -> None:
    q = _previz(tmp_path, camera, action)
    assert "static" not in q.flags, q
    assert not {"has-cut", "blurry", "flickering", "black"} & set(q.flags), q


def test_previz_still_shot_is_static(tmp_path: Path) -> None:
    q = _previz(tmp_path, "static")
    assert "static" in q.flags
    assert q.sharpness is not None and q.sharpness > 0.4


# --- the command line -------------------------------------------------------------------


def _qa(*args: str) -> tuple[int, str]:
    from takelab.cli import main

    result = CliRunner().invoke(main, ["qa", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def _truncated(tmp_path: Path) -> Path:
    whole = write_clip(Clip("pan"), tmp_path / "whole.mp4").read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    return cut


@pytest.mark.parametrize("case", ["not-a-video", "truncated", "zero-length", "missing"])
def test_qa_unreadable_file_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    path = tmp_path / "take.mp4"
    if case == "not-a-video":
        path.write_text("<html><body>502 Bad Gateway</body></html>\n")
    elif case == "truncated":
        path = _truncated(tmp_path)
    elif case == "zero-length":
        path.write_bytes(b"")
    code, output = _qa(str(path))
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert str(path) in lines[0]
    assert "Traceback" not in output


def test_qa_json_has_every_metric(tmp_path: Path) -> None:
    clip = write_clip(Clip("cut", cut=True), tmp_path / "cut.mp4")
    code, output = _qa(str(clip), "--format", "json", "--size", "320x180", "--fps", "24")
    assert code == 0, output
    [row] = json.loads(output)
    keys = {"path", "duration_s", "fps", "width", "height", "frames", "sharpness", "flicker"}
    keys |= {"motion", "cuts", "frozen_ratio", "black_ratio", "conforms", "flags"}
    assert keys <= set(row)
    assert row["cuts"] == 1
    assert row["conforms"] is False
    assert row["flags"] == ["has-cut", "nonconforming"]
    assert (row["width"], row["height"], row["frames"]) == (256, 144, 36)


def test_qa_measures_the_good_files_and_exits_2_for_a_bad_one(tmp_path: Path) -> None:
    clip = write_clip(Clip("pan"), tmp_path / "pan.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    code, output = _qa(str(clip), str(empty))
    assert code == 2
    assert str(clip) in output and "empty" in output
    assert "Traceback" not in output


def test_qa_rejects_a_bad_size(tmp_path: Path) -> None:
    clip = write_clip(Clip("pan", seconds=0.5), tmp_path / "pan.mp4")
    code, output = _qa(str(clip), "--size", "720p")
    assert code == 2
    assert "WxH" in output
