"""Automatic quality metrics of a video, and the flags that mark a take as likely broken.

`measure` decodes a file once. Every frame is reduced to a small grey analysis frame (160 px
wide) on which motion, flicker, cuts, frozen and black frames are measured
(_framestats.py, _qa_cv.py); edge blur looks at a few frames at full resolution (up to 720
lines). Then the per-frame statistics become one number each (_qa_summary.py), and each
number is judged against its threshold, with a confidence (qa_evidence.py):

- `static`: even the fastest-moving tenth of the picture barely moves (`motion_peak`);
- `blurry`: the sharpest edges are wide (`edge_blur_px`, a Gaussian sigma in px);
- `flickering`: global brightness pumps once motion is compensated (`flicker`, % depth);
- `has-cut`: a dissimilarity spike against the local median (`cut_spike`);
- `frozen`: the picture stops for part of a clip that moves elsewhere (`frozen_ratio`);
- `black`: black frames (`black_ratio`);
- `nonconforming`: duration, size or frame rate differ from what was asked (`conforms`);
- `corrupt`: the decoder met bitstream errors and concealed them (`corrupt_frames`).

Relative measures where absolute ones cannot work: clean real footage ranges widely in
detail, motion and brightness, so blur is an edge width (contrast-free, at a fixed scale),
a cut is a spike against its neighbours, flicker is a swing against the clip's own
one-second average. The thresholds marked "fitted" were chosen on the `fit` half of the
real-footage set (benchmarks/footage.py; `bench_qa_footage.py --fit` prints the choice) and
are reported on the `held` half; each also keeps the generated clips of
tests/test_quality.py right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from takelab.errors import VideoError
from takelab.media import _qa_cv as cv
from takelab.media import _qa_summary as summary
from takelab.media import framestats as fs
from takelab.media.probe import open_input, undecodable, video_stream
from takelab.media.qa_evidence import Evidence, MetricProvider, certain, judge

F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]

# `static` when even the fastest-moving tenth of the picture (`motion_peak`, px/frame at
# 160 px wide) moves less than this. Fitted: static clips of real frames with sensor noise
# measure ~0, the least-moving real shot (a tree in light wind) 0.019-0.05; any value in
# between is right on the whole fit half (best midpoint 0.0093); 0.015 also keeps the
# previz and generated still clips of tests/test_quality.py static.
STATIC_MOTION = 0.015
MOTION_WINDOW_S = 0.125  # flow is averaged over this long before taking its speed
PEAK_SHARE = 0.1  # the share of blocks `motion_peak` averages (VBench's dynamic degree: 5%)
# `blurry` when the sharpest quarter of edges is wider than this Gaussian sigma (px at up
# to 720 lines). Fitted (best: 1.023): clean real footage measures 0.2-0.8 (a
# motion-blurred street 0.9), the same blurred with sigma 2 1.2-1.7, sigma 1 0.7-1.2 (taste,
# not scored).
BLURRY_EDGE = 1.02
SHARPNESS_SAMPLES = 8  # full-resolution frames looked at, spread over the clip
# `flickering` when the brightness swings by this many percent around its one-second
# average (motion compensated). Fitted: 2.0 is right on every fit clip (best midpoint
# 2.14): clean footage, bright cars crossing and exposure steps below, 4-10% pumping at
# 2 Hz to half the frame rate above.
FLICKER_MAX = 2.0
FLICKER_WINDOW_S = 1.0
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
# A hard cut: a pair of frames whose dissimilarity once aligned (1 - normalised
# correlation) is CUT_SPIKE times the median of its neighbours within CUT_WINDOW_S (or of
# _qa_summary.CUT_FLOOR). Fitted on the fit half: continuous real shots (fast cars, a
# hand crossing the lens, flicker, exposure steps) reach 4.7, jump cuts within one shot
# 6.7-42, splices 15-115; CUT_SPIKE sits in the middle of that gap (geometric), not at
# its edge, so a jump cut on other footage need not match the fit half's weakest.
CUT_SPIKE = 5.6
CUT_WINDOW_S = 0.5
# Conformance: durations within a quarter second or 5%, sizes within 3% (encoders round to
# multiples of 16: 1280x704 for 720p), frame rates within 1% (23.976 for 24).
DURATION_TOL_S = 0.25
DURATION_TOL = 0.05
SIZE_TOL = 0.03
FPS_TOL = 0.01

FLAGS = (
    "static",
    "blurry",
    "flickering",
    "has-cut",
    "frozen",
    "black",
    "nonconforming",
    "corrupt",
)


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
    """Automatic metrics of one video file, the flags they raise, and why."""

    path: str
    duration_s: float
    fps: float
    width: int
    height: int
    frames: int
    sharpness: float | None = Field(
        description="1 / edge_blur_px: higher is sharper (post.select ranks takes by it); "
        "None when no frame has edges to judge"
    )
    edge_blur_px: float | None = Field(
        default=None,
        description="Gaussian sigma (px at up to 720 lines) of the sharpest edges; higher "
        "is blurrier; None when no frame has edges to judge",
    )
    edge_density: float = Field(default=0.0, description="share of pixels on strong edges")
    flicker: float = Field(description="brightness pumping, % around its 1 s average")
    motion: float = Field(description="mean optical flow, px/frame at 160 px wide")
    motion_peak: float = Field(description="mean flow of the fastest-moving tenth of blocks")
    cuts: int = Field(description="hard cuts (shot changes, jump cuts)")
    cut_spike: float = Field(default=0.0, description="largest dissimilarity / local median")
    frozen_ratio: float = Field(description="share of frames in held (repeated) runs")
    black_ratio: float = Field(description="share of black frames")
    corrupt_frames: int = Field(default=0, description="frames decoded with bitstream errors")
    conforms: bool = Field(default=True, description="duration, size and fps are as asked")
    mismatches: list[str] = Field(default_factory=list, description="what did not conform")
    extra: dict[str, float] = Field(default_factory=dict, description="metric providers' numbers")
    flags: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list, description="per flag, why")

    def metrics(self) -> dict[str, float]:
        """The numbers, for logging as MLflow metrics (`conforms` as 1 or 0)."""
        keys = ["duration_s", "fps", "width", "height", "frames", "sharpness", "flicker"]
        keys += ["motion", "motion_peak", "cuts", "frozen_ratio", "black_ratio"]
        keys += ["edge_blur_px", "cut_spike", "corrupt_frames"]
        out = {k: float(v) for k in keys if (v := getattr(self, k)) is not None}
        out["conforms"] = float(self.conforms)
        out.update(self.extra)
        return out

    def explain(self) -> list[str]:
        """One line per flag: the decision, its confidence, the metric against its threshold."""
        return [e.line() for e in self.evidence]


def evidence_of(q: Quality) -> list[Evidence]:
    """Each flag's decision on a Quality, in the order of FLAGS."""
    moving = q.motion_peak >= STATIC_MOTION
    frozen = judge("frozen", "frozen_ratio", q.frozen_ratio, FROZEN_RATIO)
    if not moving:  # a clip that never moves is static, not frozen
        detail = "the clip never moves: static, not frozen"
        frozen = certain("frozen", "frozen_ratio", q.frozen_ratio, False, detail)
    blur = q.edge_blur_px
    density = f"edges on {q.edge_density:.2%} of pixels"
    return [
        judge("static", "motion_peak", q.motion_peak, STATIC_MOTION, above=False),
        judge("blurry", "edge_blur_px", blur, BLURRY_EDGE, detail=density)
        if blur is not None
        else certain("blurry", "edge_blur_px", 0.0, False, "no frame has edges to judge"),
        judge("flickering", "flicker", q.flicker, FLICKER_MAX),
        judge("has-cut", "cut_spike", q.cut_spike, CUT_SPIKE, detail=f"{q.cuts} cut(s)"),
        frozen,
        judge("black", "black_ratio", q.black_ratio, BLACK_RATIO),
        certain(
            "nonconforming",
            "mismatches",
            len(q.mismatches),
            not q.conforms,
            "; ".join(q.mismatches),
        ),
        certain("corrupt", "corrupt_frames", q.corrupt_frames, q.corrupt_frames > 0),
    ]


def evidence_from_metrics(metrics: dict[str, float]) -> list[Evidence]:
    """The evidence again from logged metrics (a take's journal or MLflow numbers), for
    the flags whose metric is there: what Dailies shows beside a take's flags."""
    judged = [
        ("static", "motion_peak", STATIC_MOTION, False),
        ("blurry", "edge_blur_px", BLURRY_EDGE, True),
        ("flickering", "flicker", FLICKER_MAX, True),
        ("has-cut", "cut_spike", CUT_SPIKE, True),
        ("frozen", "frozen_ratio", FROZEN_RATIO, True),
        ("black", "black_ratio", BLACK_RATIO, True),
    ]
    out = [
        judge(flag, metric, metrics[metric], threshold, above=above)
        for flag, metric, threshold, above in judged
        if metric in metrics
    ]
    if "conforms" in metrics:
        out.append(
            certain("nonconforming", "conforms", metrics["conforms"], not metrics["conforms"])
        )
    if "corrupt_frames" in metrics:
        n = metrics["corrupt_frames"]
        out.append(certain("corrupt", "corrupt_frames", n, n > 0))
    return out


def flags_of(q: Quality) -> list[str]:
    """The flags a Quality raises: FLAGS in order, then any from metric providers."""
    return [e.flag for e in evidence_of(q) if e.raised]


def measure(
    path: str | Path,
    expected: Expected | None = None,
    *,
    threads: int = 0,
    providers: Sequence[MetricProvider] = (),
) -> Quality:
    """Decode `path` once and compute its quality metrics, flags and their evidence.

    `expected` is what was asked, for `conforms`. `threads` is the decoder's thread count:
    0 lets FFmpeg choose, 1 keeps to one core. `providers` add metrics and flags of their
    own (qa_evidence.MetricProvider). Raises VideoError for a missing, empty, unreadable,
    truncated or corrupted (undecodable) file; a file whose errors the decoder concealed is
    measured and flagged `corrupt`.
    """
    path = Path(path)
    with open_input(path) as container:
        stream = video_stream(path, container)
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
        gains = cv.GainTracker()
        log_gain: list[float] = []
        guess = header_frames or round(duration * fps)
        step = max(1, guess // SHARPNESS_SAMPLES) if guess else max(1, round(fps or 24.0))
        blur: list[float] = []
        density: list[float] = []
        count = corrupt = 0
        cv_threads = cv.one_thread() if threads == 1 else None
        try:
            for frame in container.decode(stream):
                corrupt += bool(frame.is_corrupt)
                y, full = fs.luma(frame)
                small = fs.shrink(y, full, aw, ah)
                analyser.add(small)
                g = gains.add(small)
                if g is not None:
                    log_gain.append(g)
                if count % step == step // 2 and not fs.is_black(small):
                    b, d = cv.edge_blur(y)
                    density.append(d)
                    if b is not None:
                        blur.append(b)
                count += 1
        except av.InvalidDataError as exc:
            raise VideoError(
                path,
                f"is corrupted: the bitstream breaks at frame {count} ({exc.strerror or exc})",
                hint="the file was damaged in transfer or storage; generate the take again",
            ) from exc
        except av.FFmpegError as exc:
            raise undecodable(path, f"frame {count}", exc) from exc
        finally:
            if cv_threads is not None:
                cv2.setNumThreads(cv_threads)
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
    stats = analyser.finish()
    q = Quality(
        path=str(path),
        duration_s=round(duration, 4),
        fps=round(fps, 4),
        width=width,
        height=height,
        frames=count,
        sharpness=round(1.0 / max(float(np.median(blur)), 0.05), 4) if blur else None,
        edge_blur_px=round(float(np.median(blur)), 4) if blur else None,
        edge_density=round(float(np.median(density)), 5) if density else 0.0,
        corrupt_frames=corrupt,
        **_summarise(stats, np.asarray(log_gain), count, fps or 24.0),
    )
    q.mismatches = (expected or Expected()).mismatches(q.duration_s, width, height, q.fps)
    q.conforms = not q.mismatches
    q.evidence = evidence_of(q)
    for provider in providers:
        result = provider(path)
        q.extra.update(result.metrics)
        q.evidence.extend(result.evidence)
    q.flags = [e.flag for e in q.evidence if e.raised]
    return q


def _summarise(
    stats: fs.FrameStats, log_gain: NDArray[np.float64], count: int, fps: float
) -> dict[str, Any]:
    """The clip-level metrics from the per-frame statistics."""
    valid = ~stats.black[:-1] & ~stats.black[1:]  # pairs of two pictures
    still = np.abs(stats.flow).max(axis=1, initial=0.0) < FROZEN_FLOW
    repeat = valid & (stats.mad < FROZEN_DIFF) & still
    window = max(2, round(CUT_WINDOW_S * fps))
    gains = log_gain[: len(valid)]
    min_run = math.ceil(FROZEN_MIN_RUN_S * fps)
    held_pairs = summary.held_runs(repeat, min_run)
    spikes = summary.cut_spikes(stats.dissim, valid, repeat, held_pairs, gains, window)
    cuts = spikes >= CUT_SPIKE
    usable = valid & ~cuts
    speed = summary.smoothed_speed(stats.flow, usable, max(1, round(MOTION_WINDOW_S * fps)))
    top = max(1, round(PEAK_SHARE * speed.shape[1]))
    pair_peak = np.sort(speed, axis=1)[:, -top:].mean(axis=1)
    held = summary.held_frames(repeat & usable, min_run)
    flicker = summary.pumping(gains, usable, round(FLICKER_WINDOW_S * fps))
    return {
        "flicker": round(flicker, 4),
        "motion": round(float(speed[usable].mean()), 4) if usable.any() else 0.0,
        "motion_peak": round(float(pair_peak[usable].mean()), 4) if usable.any() else 0.0,
        "cuts": int(cuts.sum()),
        "cut_spike": round(float(spikes.max(initial=0.0)), 3),
        "frozen_ratio": round(held / count, 4),
        "black_ratio": round(float(stats.black.mean()), 4),
    }


__all__ = [
    "FLAGS",
    "Evidence",
    "Expected",
    "Quality",
    "evidence_from_metrics",
    "evidence_of",
    "flags_of",
    "measure",
]
