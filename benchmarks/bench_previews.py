"""Preview GIF + contact sheet of an 8 s 720p take, against ffmpeg decoding it once.

Baseline: `ffmpeg -i take.mp4 -f null -` (a full decode, nothing written). Target: both
previews in at most 2x that time. Run: .venv/bin/python benchmarks/bench_previews.py
"""

from __future__ import annotations

import argparse
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
    },
)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        take = render(REQUEST, tmp / "take.mp4")
        decode = [media.ffmpeg_exe(), "-v", "error", "-i", str(take), "-f", "null", "-"]
        ours: list[float] = []
        base: list[float] = []
        for _ in range(args.repeat):
            base.append(timed(lambda: subprocess.run(decode, check=True)))
            ours.append(timed(lambda: media.make_previews(take, tmp / "p.gif", tmp / "s.png")))
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    ratio = ours_s / base_s
    print(f"previews: 8 s 720p take, median of {args.repeat}")
    print(f"{'make_previews (gif + sheet)':<32}{ours_s:>8.3f}s")
    print(f"{'ffmpeg decode once (baseline)':<32}{base_s:>8.3f}s")
    verdict = "target met" if ratio <= 2.0 else "target missed"
    print(f"ratio {ratio:.2f} (target <= 2.0): {verdict}")
    return 0 if ratio <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
