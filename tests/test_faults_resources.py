"""Issue 5, item 10: resources.

200 previews (`media.make_previews`), 20 `FrameWriter` encodes (finished, aborted and
failed) and a few moviepy renders (`make_cut`) each leave the process as they found it:
no child process (ffmpeg included, zombies counted), no open file descriptor, no thread
more than before, after one warm-up call that may load libraries lazily.
"""

from __future__ import annotations

import gc
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pytest

from takelab.errors import VideoError
from takelab.media import io as media
from takelab.project.model import load_project
from takelab.sweep.plan import plan

# Descriptors and threads a library may open once, lazily, on first use and keep.
FD_TOLERANCE = 2
THREAD_TOLERANCE = 1


@dataclass(frozen=True)
class Resources:
    children: list[str]  # "pid name status" of every descendant
    fds: dict[str, str]  # descriptor -> what it points at
    threads: int


def resources() -> Resources:
    me = psutil.Process()
    kids = []
    for child in me.children(recursive=True):
        try:
            kids.append(f"{child.pid} {child.name()} {child.status()}")
        except psutil.NoSuchProcess:
            continue
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the listing's own descriptor, closed by now
    return Resources(sorted(kids), fds, len(os.listdir("/proc/self/task")))


def assert_back_to(before: Resources, where: Path, what: str) -> None:
    after = resources()
    assert after.children == before.children, f"{what} left child processes: {after.children}"
    new = {fd: target for fd, target in after.fds.items() if before.fds.get(fd) != target}
    # Nothing made or read here may stay open, whatever the tolerance.
    assert not [t for t in new.values() if str(where) in t], f"{what} left files open: {new}"
    assert len(after.fds) <= len(before.fds) + FD_TOLERANCE, f"{what} left descriptors: {new}"
    assert after.threads <= before.threads + THREAD_TOLERANCE, f"{what} left threads"


def repeat(times: int, call: Callable[[int], object]) -> None:
    for i in range(times):
        call(i)
    gc.collect()  # only cycles are left to it: anything it frees was not closed explicitly


@pytest.fixture
def clip(project_file: Path, tmp_path: Path) -> Iterator[Path]:
    """One previz take (1 s at 480p), rendered straight through the backend."""
    planned = plan(load_project(project_file), shots=["walk"], variants=["walk/v1"])[0]
    job = planned.backend.submit(planned.request)
    yield planned.backend.fetch(job, tmp_path / "clip.mp4")


@pytest.mark.faults
def test_200_previews_leave_no_process_descriptor_or_thread(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "previews"
    out.mkdir()
    media.make_previews(clip, out / "warm.gif", out / "warm.png")
    before = resources()
    repeat(200, lambda i: media.make_previews(clip, out / f"{i}.gif", out / f"{i}.png"))
    assert len(list(out.glob("*.gif"))) == len(list(out.glob("*.png"))) == 201
    assert_back_to(before, tmp_path, "make_previews")
    # A file that does not decode is an error, and leaks nothing either.
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    for i in range(10):
        with pytest.raises(VideoError):
            media.make_previews(bad, out / f"bad{i}.gif", out / f"bad{i}.png")
    assert_back_to(before, tmp_path, "make_previews on a broken file")


def _encode(dest: Path, i: int) -> None:
    """Finished (most), aborted by an exception (every 5th), or failing with no frames."""
    frames = [np.full((36, 64, 3), (i * 12 + k * 9) % 256, np.uint8) for k in range(8)]
    if i % 10 == 9:
        with pytest.raises(VideoError), media.FrameWriter(dest, 64, 36, 24):
            pass  # no frames: ffmpeg fails, the error says so
        assert not dest.exists()
        return
    if i % 5 == 4:
        with pytest.raises(RuntimeError), media.FrameWriter(dest, 64, 36, 24) as writer:
            writer.write(frames[0])
            raise RuntimeError("the renderer failed mid-take")
        assert not dest.exists()
        return
    with media.FrameWriter(dest, 64, 36, 24) as writer:
        for frame in frames:
            writer.write(frame)
    assert media.probe(dest).frames == 8


@pytest.mark.faults
def test_20_frame_writer_encodes_reap_ffmpeg_and_close_pipes(tmp_path: Path) -> None:
    out = tmp_path / "encodes"
    _encode(out / "warm.mp4", 0)
    before = resources()
    repeat(20, lambda i: _encode(out / f"{i}.mp4", i))
    assert len(list(out.glob("*.mp4"))) == 1 + 16  # warm-up, and 20 less 2 aborted, 2 failed
    assert_back_to(before, tmp_path, "FrameWriter")


CUT_PROJECT = """\
project: rescut
defaults:
  duration: 1
  aspect: "16:9"
  resolution: 480p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman walks toward the camera at night, neon light flickering on, slow dolly
  - id: cat
    variants:
      - id: v1
        prompt: A black cat jumps onto a windowsill, handheld medium shot, soft morning light
cut:
  title: {text: Rescut, duration: 0.5}
  shots:
    - shot: walk
    - shot: cat
      transition: {type: crossfade, duration: 0.25}
  audio: {file: bed.wav, fade_in: 0.2, fade_out: 0.3}
"""


@pytest.mark.faults
def test_moviepy_renders_close_their_readers_and_writers(tmp_path: Path) -> None:
    from takelab.post import make_cut
    from takelab.review.verdicts import record_verdict
    from takelab.sweep.run import run_sweep

    folder = tmp_path / "project"
    folder.mkdir()
    project = folder / "rescut.yaml"
    project.write_text(CUT_PROJECT)
    tone = ("-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-ac", "2")
    subprocess.run([media.ffmpeg_exe(), "-v", "error", *tone, str(folder / "bed.wav")], check=True)
    sweep = run_sweep(project, progress=False, concurrency=2)
    assert sweep.counts["done"] == 2, sweep.describe()
    for outcome in sweep.outcomes:
        record_verdict(outcome.take_id, "accept")
    cuts = tmp_path / "cuts"
    make_cut(project, cuts / "warm.mp4", progress=False, sign=False)
    before = resources()
    repeat(3, lambda i: make_cut(project, cuts / f"{i}.mp4", progress=False, sign=False))
    assert all((cuts / f"{i}.mp4").is_file() for i in range(3))
    assert_back_to(before, tmp_path, "make_cut")  # TAKELAB_HOME is in there too
