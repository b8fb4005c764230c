"""Quality metrics of an 8 s 720p take on one core, against real time and ffmpeg decoding it.

Baseline: `ffmpeg -threads 1 -i take.mp4 -f null -` (a full single-threaded decode, nothing
written). Target: `quality.measure(threads=1)` at least 10x real time (issue 16). The ratio
to that decode is printed beside it; it was at most 2x before the OpenCV metrics (edge
blur, DIS flow for flicker) came in, and is ~2.3x since. The take is a previz animatic
with a camera pan and a walking figure.

Both are timed in CPU seconds (user + system, median of --repeat runs), which is what "on
one core" means and stays put on a busy machine; wall-clock seconds are printed beside.
Run: .venv/bin/python benchmarks/bench_quality.py
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from takelab.backends import TakeRequest
from takelab.backends.previz import render
from takelab.media import io as media
from takelab.media import quality

SECONDS = 8.0
REQUEST = TakeRequest(
    project="tokyo-rain",
    shot="street-walk",
    variant="v2",
    prompt="bench",
    backend="previz",
    model="animatic",
    duration_s=SECONDS,
    aspect="16:9",
    resolution="720p",
    seed=1,
    image_path=None,
    fields={
        "subject": "a woman in a red raincoat",
        "secondary": "a black cat on a windowsill",
        "action": "walks left, then pauses to look up",
        "camera": "slow pan right at eye level",
        "lighting": "neon reflections on wet asphalt, rain easing",
    },
)


def timed(fn: Callable[[], object], children: bool = False) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call; CPU of child processes if `children`."""

    def cpu() -> float:
        if children:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime
        return time.process_time()

    cpu0, wall0 = cpu(), time.perf_counter()
    fn()
    return cpu() - cpu0, time.perf_counter() - wall0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--video", type=Path, default=None, help="measure this file instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        take = args.video or render(REQUEST, Path(tmp_dir) / "take.mp4")
        seconds = media.probe(take).duration_s
        decode = [media.ffmpeg_exe(), "-v", "error", "-threads", "1", "-i", str(take)]
        decode += ["-f", "null", "-"]
        result = quality.measure(take, threads=1)  # warm up: imports, file cache
        ours: list[tuple[float, float]] = []
        base: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            base.append(timed(lambda: subprocess.run(decode, check=True), children=True))
            ours.append(timed(lambda: quality.measure(take, threads=1)))
    ours_cpu, ours_wall = (statistics.median(x) for x in zip(*ours, strict=True))
    base_cpu, base_wall = (statistics.median(x) for x in zip(*base, strict=True))
    realtime = seconds / ours_cpu
    ratio = ours_cpu / base_cpu
    print(f"quality metrics: {seconds:g} s {result.width}x{result.height} take, one core, ", end="")
    print(f"median of {args.repeat}")
    print(f"{'':<36}{'CPU s':>8}{'wall s':>8}")
    print(f"{'quality.measure(threads=1)':<36}{ours_cpu:>8.3f}{ours_wall:>8.3f}")
    print(f"{'ffmpeg -threads 1 decode (baseline)':<36}{base_cpu:>8.3f}{base_wall:>8.3f}")
    fast = realtime >= 10.0
    cheap = ratio <= 2.0
    verdict = {True: "target met", False: "target missed"}
    print(f"real time x{realtime:.1f} (target >= 10): {verdict[fast]}")
    print(f"ratio to decoding {ratio:.2f} (was <= 2.0 before issue 16): {verdict[cheap]}")
    print(f"wall-clock: real time x{seconds / ours_wall:.1f}, ratio {ours_wall / base_wall:.2f}")
    print(f"flags: {', '.join(result.flags) or 'none'}; motion {result.motion:.2f} px/frame")
    return 0 if fast else 1


if __name__ == "__main__":
    sys.exit(main())
