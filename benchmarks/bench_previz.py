"""previz render+encode speed for an 8 s 720p 16:9 take, against encoding the same frames.

Baseline: the same frames, rendered into memory beforehand, piped to ffmpeg with the
identical command FrameWriter runs. Targets: at least 4x real time, at most 1.3x the
baseline. Run: .venv/bin/python benchmarks/bench_previz.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from takelab.backends import TakeRequest
from takelab.backends.previz import FPS, Animatic, render
from takelab.media import io as media

REQUEST = TakeRequest(
    project="tokyo-rain",
    shot="street-walk",
    variant="v2",
    prompt="bench",
    backend="previz",
    model="animatic",
    duration_s=8,
    aspect="16:9",
    resolution="720p",
    seed=1,
    fields={
        "subject": "a woman in a red raincoat",
        "secondary": "a black cat on a windowsill",
        "action": "walks toward camera, then pauses to look up",
        "camera": "slow dolly back at eye level",
        "lighting": "neon reflections on wet asphalt, rain easing",
        "style": "35mm film, shallow depth of field",
    },
)
PAN = REQUEST.model_copy(
    update={
        "variant": "v3",
        "fields": {**REQUEST.fields, "camera": "pan right", "lighting": "golden hour, sun setting"},
    }
)


def encode_only(frames: list[np.ndarray], dest: Path, width: int, height: int) -> None:
    """The baseline: pre-rendered frames through a pipe into the same ffmpeg command."""
    proc = subprocess.Popen(
        media.encode_command(dest, width, height, FPS),
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    media.widen_pipe(proc.stdin)
    for frame in frames:
        proc.stdin.write(frame.data)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("ffmpeg failed in the baseline")


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of this process and its ffmpeg children together."""

    def cpu() -> float:
        own, kids = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    cpu0, start = cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - start, cpu() - cpu0


def bench(request: TakeRequest, repeat: int, tmp: Path) -> dict[str, tuple[float, float]]:
    animatic = Animatic(request)
    frames = [animatic.render_frame(i).copy() for i in range(animatic.frames)]
    w, h = animatic.width, animatic.height
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "base": []}
    for _ in range(repeat):
        runs["base"].append(timed(lambda: encode_only(frames, tmp / "baseline.mp4", w, h)))
        runs["ours"].append(timed(lambda: render(request, tmp / "previz.mp4")))
    return {
        k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
        for k, v in runs.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seconds = REQUEST.duration_s
    missed = 0
    print(f"previz: {seconds:g} s 720p 16:9 take, median of {args.repeat} runs")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    print(
        f"{'case':<26}{'render+encode':>14}{'encode only':>13}"
        f"{'cpu ours/base':>15}{'x realtime':>12}{'ratio':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, request in (("dolly back, light change", REQUEST), ("pan, sun setting", PAN)):
            got = bench(request, args.repeat, Path(tmp))
            (ours, ours_cpu), (base, base_cpu) = got["ours"], got["base"]
            realtime, ratio = seconds / ours, ours / base
            print(
                f"{name:<26}{ours:>13.2f}s{base:>12.2f}s{ours_cpu:>8.2f}/{base_cpu:.2f}s"
                f"{realtime:>11.1f}x{ratio:>7.2f}"
            )
            ok_rt, ok_ratio = realtime >= 4.0, ratio <= 1.3
            missed += (not ok_rt) + (not ok_ratio)
            print(f"  >= 4x real time: {'target met' if ok_rt else 'target missed'}")
            print(f"  <= 1.3x encode only: {'target met' if ok_ratio else 'target missed'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
