"""Automatic quality metrics of a video, and the flags that mark a take as likely broken.

`measure` decodes a file once. Every frame is reduced to a small grey analysis frame (160 px
wide) on which motion, flicker, cuts, frozen and black frames are measured
(_framestats.py); sharpness looks at a few frames at full resolution. Then the per-frame
statistics become one number each, and the numbers become flags:

- `static`: even the fastest-moving tenth of the picture barely moves (`motion_peak`);
- `blurry`: the finest detail is missing (`sharpness`);
- `flickering`: brightness jitters from frame to frame where the scene is still (`flicker`);
- `has-cut`: a hard cut to another shot (`cuts`);
- `frozen`: the picture stops for part of a clip that moves elsewhere (`frozen_ratio`);
- `black`: black frames (`black_ratio`);
- `nonconforming`: duration, size or frame rate differ from what was asked (`conforms`).

The thresholds are module constants; each says how it was chosen. They were calibrated on
the generated clips of tests/test_quality.py (a "dead leaves" texture: sharp edges at all
scales, as in photographs) and on previz animatics, with a margin on both sides.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from takelab import _framestats as fs
from takelab.errors import VideoError
from takelab.media import _open_input, _undecodable, _video_stream

F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]

# `static` when even the fastest-moving tenth of the picture (`motion_peak`, px/frame at
# 160 px wide) moves less than this: 1.2 px/s, 6% of the frame width over 8 s. Still scenes
# measure < 0.03 (previz light changes) or ~0 (grain, flicker); 8 s previz animatics of a
# slow tilt or zoom, or a walk that stops halfway, 0.065-0.09; a slow pan 0.17.
STATIC_MOTION = 0.05
MOTION_WINDOW_S = 0.125  # flow is averaged over this long before taking its speed
PEAK_SHARE = 0.1  # the share of blocks `motion_peak` averages (VBench's dynamic degree: 5%)
# Sharpness of pictures with pixel-wide edges measures 0.4-0.7 whatever their size and
# contrast (previz animatics 0.7-1.0); a Gaussian blur of radius 0.6 px brings it to ~0.28,
# radius 2.5 px (with grain too, at 640x360 too) to 0.13-0.19.
BLURRY_SHARPNESS = 0.22
SHARPNESS_SAMPLES = 8  # full-resolution frames looked at, spread over the clip
# Flicker: mean absolute second difference of brightness over time (0-255 levels), on
# blocks moving less than FLICKER_STILL px/frame (or the whole frame's mean where the
# camera moves). Steady clips measure < 0.6 (fast pans, encoder noise) and a smooth light
# change ~0.1. Brightness alternating frame to frame by +-1 level (barely visible) measures
# 0.4-1.3 after H.264 encoding, by +-3 levels (a visible shimmer) 3.6-5, by +-6 levels 10-12.
FLICKER_MAX = 2.0
FLICKER_STILL = 0.25
# A frame is held when it barely differs from the one before: mean absolute difference
# below FROZEN_DIFF levels (an encoder refining a repeated frame changes it by < 0.35) and
# no block moving FROZEN_FLOW px. Only runs of FROZEN_MIN_RUN_S count, so doubled frames
# (12 fps shown at 24) are not held. `frozen` from FROZEN_RATIO held frames in a clip that
# moves elsewhere; a clip that never moves is `static` instead.
FROZEN_DIFF = 0.6
FROZEN_FLOW = 0.05
FROZEN_MIN_RUN_S = 0.25
FROZEN_RATIO = 0.15
BLACK_RATIO = 0.1  # `black` from this share of black frames: more than a fade in or out
# A hard cut: consecutive frames that do not match even once aligned (dissimilarity, 1 -
# normalised correlation, >= CUT_MIN) and match much worse than their neighbours do
# (CUT_JUMP above the median within CUT_WINDOW_S), so that fast motion, which lowers every
# pair alike, is not a cut. Continuous shots measure < 0.1 (fast pans too), cuts ~1.
CUT_MIN = 0.6
CUT_JUMP = 0.4
CUT_WINDOW_S = 0.5
# Conformance: durations within a quarter second or 5%, sizes within 3% (encoders round to
# multiples of 16: 1280x704 for 720p), frame rates within 1% (23.976 for 24).
DURATION_TOL_S = 0.25
DURATION_TOL = 0.05
SIZE_TOL = 0.03
FPS_TOL = 0.01

FLAGS = ("static", "blurry", "flickering", "has-cut", "frozen", "black", "nonconforming")


class Expected(BaseModel):
    """What was asked for; `conforms` checks each field that is set."""

    model_config = ConfigDict(extra="forbid")

    duration_s: float | None = Field(default=None, gt=0, description="seconds")
    width: int | None = Field(default=None, gt=0, description="pixels")
    height: int | None = Field(default=None, gt=0, description="pixels")
    fps: float | None = Field(default=None, gt=0, description="frames per second")

    def mismatches(self, duration_s: float, width: int, height: int, fps: float) -> list[str]:
        """What differs from the request, one short phrase each; empty when it conforms."""
        out: list[str] = []
        if self.duration_s is not None and abs(duration_s - self.duration_s) > max(
            DURATION_TOL_S, DURATION_TOL * self.duration_s
        ):
            out.append(f"duration {duration_s:.2f} s, asked {self.duration_s:g} s")
        for name, got, want in (("width", width, self.width), ("height", height, self.height)):
            if want is not None and abs(got - want) > SIZE_TOL * want:
                out.append(f"{name} {got} px, asked {want} px")
        if self.fps is not None and abs(fps - self.fps) > FPS_TOL * self.fps:
            out.append(f"{fps:.3f} fps, asked {self.fps:g}")
        return out


class Quality(BaseModel):
    """Automatic metrics of one video file, and the flags they raise."""

    path: str
    duration_s: float
    fps: float
    width: int
    height: int
    frames: int
    sharpness: float | None = Field(
        description="finest-octave / next-octave detail energy; higher is sharper; "
        "None when no frame has detail to judge"
    )
    flicker: float = Field(description="brightness jitter (0-255 levels) where still")
    motion: float = Field(description="mean optical flow, px/frame at 160 px wide")
    motion_peak: float = Field(description="mean flow of the fastest-moving tenth of blocks")
    cuts: int = Field(description="hard cuts (shot changes)")
    frozen_ratio: float = Field(description="share of frames in held (repeated) runs")
    black_ratio: float = Field(description="share of black frames")
    conforms: bool = Field(default=True, description="duration, size and fps are as asked")
    mismatches: list[str] = Field(default_factory=list, description="what did not conform")
    flags: list[str] = Field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """The numbers, for logging as MLflow metrics (`conforms` as 1 or 0)."""
        keys = ["duration_s", "fps", "width", "height", "frames", "sharpness", "flicker"]
        keys += ["motion", "motion_peak", "cuts", "frozen_ratio", "black_ratio"]
        out = {k: float(v) for k in keys if (v := getattr(self, k)) is not None}
        out["conforms"] = float(self.conforms)
        return out


def flags_of(q: Quality) -> list[str]:
    """The flags a Quality raises, in the order of FLAGS."""
    raised = {
        "static": q.motion_peak < STATIC_MOTION,
        "blurry": q.sharpness is not None and q.sharpness < BLURRY_SHARPNESS,
        "flickering": q.flicker > FLICKER_MAX,
        "has-cut": q.cuts > 0,
        "frozen": q.frozen_ratio >= FROZEN_RATIO and q.motion_peak >= STATIC_MOTION,
        "black": q.black_ratio >= BLACK_RATIO,
        "nonconforming": not q.conforms,
    }
    return [f for f in FLAGS if raised[f]]


# --- from frame statistics to metrics -------------------------------------------------


def _cut_pairs(dissim: F32, valid: NDArray[np.bool_], fps: float) -> NDArray[np.bool_]:
    """Pairs that are hard cuts: a dissimilarity spike above its neighbourhood."""
    n = len(dissim)
    cuts = np.zeros(n, np.bool_)
    half = max(2, round(CUT_WINDOW_S * fps))
    for i in np.flatnonzero(valid & (dissim >= CUT_MIN)):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        around = np.concatenate([dissim[lo:i][valid[lo:i]], dissim[i + 1 : hi][valid[i + 1 : hi]]])
        base = float(np.median(around)) if len(around) else 0.0
        cuts[i] = dissim[i] - base >= CUT_JUMP
    return cuts


def _smoothed_speed(flow: NDArray[np.complex64], usable: NDArray[np.bool_], window: int) -> F32:
    """Per pair and block, the speed of the flow averaged over `window` pairs around it.

    Noise in the flow (grain, compression, light changes) points every way and cancels
    out, motion adds up: the same as measuring flow between frames `window` apart and
    dividing by the gap, as VBench's dynamic degree samples frames. Unusable pairs (cuts,
    black frames) take no part.
    """
    if len(flow) == 0:
        return np.zeros(flow.shape, np.float32)
    vec = np.where(usable[:, None], flow, 0).astype(np.complex128)
    ones = usable.astype(np.float64)
    before, after = (window - 1) // 2, window // 2
    csum = np.concatenate([np.zeros((1, vec.shape[1])), np.cumsum(vec, axis=0)])
    ccount = np.concatenate([[0.0], np.cumsum(ones)])
    idx = np.arange(len(flow))
    lo = np.maximum(idx - before, 0)
    hi = np.minimum(idx + after + 1, len(flow))
    total = csum[hi] - csum[lo]
    count = np.maximum(ccount[hi] - ccount[lo], 1.0)
    speed: F32 = np.abs(total / count[:, None]).astype(np.float32)
    return speed


def _held_frames(repeat: Mask, min_run: int) -> int:
    """Frames that repeat the one before, counted in runs of at least `min_run`."""
    min_run = max(2, min_run)
    total = run = 0
    for r in repeat:
        run = run + 1 if r else 0
        if run == min_run:
            total += min_run
        elif run > min_run:
            total += 1
    return total


def _flicker(stats: fs.FrameStats, usable: Mask) -> float:
    """Mean absolute second difference of brightness over time, on nearly still blocks.

    The second difference ignores smooth change (a light slowly coming up) and keeps
    jitter. Where the camera moves, the frame's mean brightness stands in for the blocks.
    """
    if len(stats.blocks) < 3:
        return 0.0
    ok = usable[:-1] & usable[1:]  # triple t-1, t, t+1 is pairs t-1 and t
    if not ok.any():
        return 0.0
    blocks, mean = stats.blocks, stats.mean
    second = np.abs(blocks[1:-1] - 0.5 * (blocks[:-2] + blocks[2:]))
    speed = np.abs(stats.flow)
    still = (speed[:-1] < FLICKER_STILL) & (speed[1:] < FLICKER_STILL) & ok[:, None]
    local = float(second[still].mean()) if still.any() else 0.0
    whole = np.abs(mean[1:-1] - 0.5 * (mean[:-2] + mean[2:]))
    return max(local, float(whole[ok].mean()))


def measure(path: str | Path, expected: Expected | None = None, *, threads: int = 0) -> Quality:
    """Decode `path` once and compute its quality metrics and flags.

    `expected` is what was asked, for `conforms`. `threads` is the decoder's thread count:
    0 lets FFmpeg choose, 1 keeps to one core. Raises VideoError for a missing, empty,
    unreadable or truncated file.
    """
    path = Path(path)
    with _open_input(path) as container:
        stream = _video_stream(path, container)
        ctx = stream.codec_context
        if threads == 1:
            ctx.thread_count = 1
        else:
            stream.thread_type = "AUTO"
            if threads > 1:
                ctx.thread_count = threads
        width, height = int(ctx.width), int(ctx.height)
        if width <= 0 or height <= 0:
            raise VideoError(path, "has a video stream without a picture size")
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        header_frames = int(stream.frames or 0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / 1_000_000
        aw, ah = fs.ANALYSIS_WIDTH, fs.analysis_height(width, height)
        analyser = fs.Analyser(aw, ah)
        guess = header_frames or round(duration * fps)
        step = max(1, guess // SHARPNESS_SAMPLES) if guess else max(1, round(fps or 24.0))
        sharp: list[float] = []
        count = 0
        try:
            for frame in container.decode(stream):
                y, full = fs.luma(frame)
                small = fs.shrink(y, full, aw, ah)
                analyser.add(small)
                if count % step == step // 2 and not fs.is_black(small):
                    s = fs.sharpness(y)
                    if s is not None:
                        sharp.append(s)
                count += 1
        except av.FFmpegError as exc:
            raise _undecodable(path, f"frame {count}", exc) from exc
    if count == 0:
        raise VideoError(path, "has a video stream with no frames", hint="generate the take again")
    if header_frames and count < header_frames - max(2, header_frames // 100):
        raise VideoError(
            path,
            f"is truncated: {count} of {header_frames} frames decode",
            hint="the download or render was cut off; generate the take again",
        )
    if not duration and fps:
        duration = count / fps
    q = Quality(
        path=str(path),
        duration_s=round(duration, 4),
        fps=round(fps, 4),
        width=width,
        height=height,
        frames=count,
        sharpness=round(float(np.median(sharp)), 4) if sharp else None,
        **_summarise(analyser.finish(), count, fps or 24.0),
    )
    q.mismatches = (expected or Expected()).mismatches(q.duration_s, width, height, q.fps)
    q.conforms = not q.mismatches
    q.flags = flags_of(q)
    return q


def _summarise(stats: fs.FrameStats, count: int, fps: float) -> dict[str, Any]:
    """The clip-level metrics from the per-frame statistics."""
    valid = ~stats.black[:-1] & ~stats.black[1:]  # pairs of two pictures
    cuts = _cut_pairs(stats.dissim, valid, fps)
    usable = valid & ~cuts
    speed = _smoothed_speed(stats.flow, usable, max(1, round(MOTION_WINDOW_S * fps)))
    top = max(1, round(PEAK_SHARE * speed.shape[1]))
    pair_peak = np.sort(speed, axis=1)[:, -top:].mean(axis=1)
    still = np.abs(stats.flow).max(axis=1, initial=0.0) < FROZEN_FLOW
    held = _held_frames(
        usable & (stats.mad < FROZEN_DIFF) & still, math.ceil(FROZEN_MIN_RUN_S * fps)
    )
    return {
        "flicker": round(_flicker(stats, usable), 4),
        "motion": round(float(speed[usable].mean()), 4) if usable.any() else 0.0,
        "motion_peak": round(float(pair_peak[usable].mean()), 4) if usable.any() else 0.0,
        "cuts": int(cuts.sum()),
        "frozen_ratio": round(held / count, 4),
        "black_ratio": round(float(stats.black.mean()), 4),
    }


__all__ = ["FLAGS", "Expected", "Quality", "flags_of", "measure"]
