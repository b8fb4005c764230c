"""diffusers backend: seconds per take through takelab against the raw pipeline beside it.

Baseline: the same pipeline object (loaded once, before anything is timed) called directly
with the arguments the backend passes it: same size, frames, steps and seed. Ours: `submit`,
`poll` every `poll_interval_s` as the runner does, then `fetch`, which crops the frames and
encodes the H.264 file. The difference is what takelab adds to a take: the worker thread,
polling, and writing the video.

By default it runs the tiny random-weight models from tests/fakes on the CPU (1 s at 144p,
2 steps), where a take is about a second and the encode is a visible share of it. On a GPU
host, give it real weights (a diffusers folder or a hub id, with --weights or the model's
TAKELAB_DIFFUSERS_<MODEL> variable and one --model) and real settings:

  .venv/bin/python benchmarks/bench_diffusers.py --model ltx --weights Lightricks/LTX-Video \\
      --resolution 480p --duration 4 --steps 30

Targets: on a real model within 1.05x of the raw pipeline; on the tiny models, whose takes
last a fraction of a second, the ratio mostly measures the encode, so the target there is
at most 0.3 s added per take.
Run: .venv/bin/python benchmarks/bench_diffusers.py [--repeat N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_TARGET = 1.05  # ratio to the raw pipeline
TINY_TARGET_S = 0.3  # seconds added per take


def timed(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall seconds of each function, called in turn `repeat` times (so a change in
    the machine's load falls on both alike)."""
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return {name: statistics.median(r) for name, r in runs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=["svd", "ltx", "wan"])
    parser.add_argument("--weights", help="a diffusers folder or hub id (default: tiny models)")
    parser.add_argument("--resolution", default="144p")
    parser.add_argument("--aspect", default="16:9")
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--steps", type=int, help="default: 2 on tiny models, else the model's")
    parser.add_argument("--image", help="first frame for svd (default: a generated gradient)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    names = args.model or ["svd", "ltx", "wan"]
    if not args.weights and len(names) == 1:  # or the weights the backend would use
        args.weights = os.environ.get(f"TAKELAB_DIFFUSERS_{names[0].upper()}") or None
    if args.weights and len(names) != 1:
        parser.error("--weights needs exactly one --model")
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
        print("torch or diffusers is not installed (pip install '.[local]'): skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="takelab-bench-diffusers-") as folder:
        return run(args, names, Path(folder))


def run(args: argparse.Namespace, names: list[str], tmp: Path) -> int:
    """Every model's figures, printed; 1 if a target is missed."""
    import numpy as np
    from PIL import Image

    from takelab.backends import _diffusers_models as models

    os.environ["TAKELAB_HOME"] = str(tmp / "home")
    if args.steps is None and not args.weights:
        args.steps = 2
    if args.steps is not None:
        os.environ["TAKELAB_DIFFUSERS_STEPS"] = str(args.steps)
    if args.weights:
        os.environ[models.MODELS[names[0]].env] = args.weights
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from fakes.tiny_diffusers import save_all

        os.environ["TAKELAB_DIFFUSERS_DEVICE"] = "cpu"
        for name, folder in save_all(tmp / "tiny").items():
            os.environ[models.MODELS[name].env] = str(folder)
    image = Path(args.image) if args.image else tmp / "first.png"
    if not args.image:
        ramp = np.linspace(0, 255, 512, dtype=np.uint8)
        Image.fromarray(np.dstack([np.tile(ramp, (288, 1))] * 3)).save(image)

    source = f"weights {args.weights}" if args.weights else "tiny models"
    print(
        f"diffusers: {args.duration:g} s {args.resolution} {args.aspect}, "
        f"{args.steps or 'default'} steps, "
        f"median of {args.repeat} takes; {source}"
    )
    print(f"device {models.device()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'model':<7}{'takelab':>10}{'raw pipeline':>14}{'added':>9}{'ratio':>8}")
    missed = 0
    for name in names:
        if name == "wan" and importlib.util.find_spec("accelerate") is None:
            print(f"{name:<7}skipped: diffusers loads Wan only with accelerate")
            continue
        mine, base = bench(name, args, tmp, image)
        missed += mine / base > REAL_TARGET if args.weights else mine - base > TINY_TARGET_S
        print(f"{name:<7}{mine:>9.2f}s{base:>13.2f}s{mine - base:>8.2f}s{mine / base:>8.2f}")
    target = f"<= {REAL_TARGET:g}x" if args.weights else f"<= {TINY_TARGET_S:g} s added to"
    print(f"  {target} the raw pipeline: {'target missed' if missed else 'target met'}")
    return 1 if missed else 0


def bench(name: str, args: argparse.Namespace, tmp: Path, image: Path) -> tuple[float, float]:
    """Median seconds per take of one model: through takelab, and the raw pipeline."""
    import torch
    from PIL import Image

    from takelab.backends import TakeRequest
    from takelab.backends import _diffusers_models as models
    from takelab.backends.local_diffusers import DiffusersBackend

    backend = DiffusersBackend(name)
    request = TakeRequest(
        project="bench",
        shot="s",
        variant="v",
        prompt="a woman in a red raincoat walks toward the camera at night, slow dolly back",
        backend="diffusers",
        model=name,
        duration_s=args.duration,
        aspect=args.aspect,
        resolution=args.resolution,
        seed=1,
        image_sha256="0" * 64 if name == "svd" else None,
        image_path=str(image) if name == "svd" else None,
    )
    loaded = models.load(backend.local)  # loading is outside both figures
    shape = backend.local.shape(loaded.pipe, request)
    with Image.open(image) as im:
        first = im.convert("RGB") if name == "svd" else None
    kwargs = backend.local.call_kwargs(request, shape, first)

    def raw() -> None:
        generator = torch.Generator("cpu").manual_seed(request.seed)
        loaded.pipe(**kwargs, generator=generator)

    def ours() -> None:
        job_id = backend.submit(request)
        while not backend.poll(job_id).state.terminal:
            time.sleep(backend.poll_interval_s)
        backend.fetch(job_id, tmp / f"{name}.mp4")

    loaded.pipe.set_progress_bar_config(disable=True)
    raw()  # warm: first calls pay for lazy initialisation in torch
    got = timed({"raw": raw, "ours": ours}, args.repeat)
    return got["ours"], got["raw"]


if __name__ == "__main__":
    sys.exit(main())
