"""From per-frame statistics to clip metrics, for quality.py: cuts, motion, holds, flicker.

The thresholds live in quality.py; what is here is how each metric is computed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]

# The local median a spike is measured against never goes below this dissimilarity: two
# frames of a still, clean shot differ by ~0.001-0.005 (encoder noise), and a spike
# against less than that is noise, not a cut. At the top of that range, not above it: a
# jump cut in a fixed-camera shot (walkers skipping ahead) measures ~0.04 against 0.005.
CUT_FLOOR = 0.005
ISOLATION = 4.0  # a pair's spike is at most this times its ratio to its larger neighbour
# A pair whose global brightness changes by more than this (log: 16%) is an exposure step
# when its picture stays about the same: clipped highlights then lower its correlation a
# little (exposure steps of the fit half measure <= 0.13), a splice to a scene in other
# light a lot (>= 0.47). STEP_CUT_MIN sits between.
EXPOSURE_STEP = 0.15
STEP_CUT_MIN = 0.3
# Next to a hold, only another picture altogether is a cut: the jump where a frozen run of
# a moving shot ends measures up to 0.81 on the fit half, a cut between two still shots
# (tests/test_quality.py) ~1.
HOLD_CUT_MIN = 0.9
STEP_CLIP = 3.0
SQRT_HALF = 0.7071  # median |sin| over a period: pumping depth from the median residual


def held_runs(repeat: Mask, min_run: int) -> Mask:
    """The repeat pairs that belong to runs of at least `min_run` (max 2): holds, not the
    doubled frames of 12 fps content or of animation on twos."""
    min_run = max(2, min_run)
    out = np.zeros(len(repeat), np.bool_)
    start = None
    for i, r in enumerate([*repeat.tolist(), False]):
        if r and start is None:
            start = i
        elif not r and start is not None:
            if i - start >= min_run:
                out[start:i] = True
            start = None
    return out


def cut_spikes(dissim: F32, valid: Mask, repeat: Mask, held: Mask, gains: F64, window: int) -> F64:
    """Per pair, its dissimilarity over the median of its neighbours within `window`.

    A cut is a spike against the local median, however small in absolute terms: a jump
    cut within one scene measures 0.05-0.3 where the shot's pairs measure < 0.02, while fast
    motion raises every pair alike. Held (repeated) frames take no part in the median, and
    the pair next to a hold is a cut only if it is another picture altogether (dissimilarity
    of HOLD_CUT_MIN): the jump where a frozen run ends is the `frozen` flag's, while a cut
    between two still shots, whose frames all repeat, is still a cut. A pair whose global
    brightness steps (`gains`) must differ by STEP_CUT_MIN too: an exposure step is no cut.
    """
    n = len(dissim)
    spikes = np.zeros(n)
    usable = valid & ~repeat
    for i in np.flatnonzero(usable):
        lo, hi = max(0, i - window), min(n, i + window + 1)
        around = np.concatenate(
            [dissim[lo:i][usable[lo:i]], dissim[i + 1 : hi][usable[i + 1 : hi]]]
        )
        next_to_hold = (i > 0 and held[i - 1]) or (i + 1 < n and held[i + 1])
        exposure = i < len(gains) and abs(gains[i]) > EXPOSURE_STEP
        if (next_to_hold and dissim[i] < HOLD_CUT_MIN) or (exposure and dissim[i] < STEP_CUT_MIN):
            continue
        base = float(np.median(around)) if len(around) else 0.0
        # And against its two neighbours: a cut is one pair, while an object entering
        # the picture raises the pairs after it too. The nearest usable pair on each side,
        # past a repeated frame: the pair after a doubled frame carries two frames of
        # motion, and is measured against the moving pair before the double.
        left, right = np.flatnonzero(usable[lo:i]), np.flatnonzero(usable[i + 1 : hi])
        adjacent = [dissim[lo + left[-1]]] if len(left) else []
        adjacent += [dissim[i + 1 + right[0]]] if len(right) else []
        isolated = ISOLATION * float(dissim[i]) / max(max(adjacent, default=0.0), CUT_FLOOR)
        spikes[i] = min(float(dissim[i]) / max(base, CUT_FLOOR), isolated)
    return spikes


def smoothed_speed(flow: NDArray[np.complex64], usable: Mask, window: int) -> F32:
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


def held_frames(repeat: Mask, min_run: int) -> int:
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


def pumping(gains: F64, usable: Mask, window: int) -> float:
    """Luminance pumping depth in percent: how far the clip's brightness swings around its
    own one-second average, once motion is compensated (`gains` are the per-pair log
    brightness changes of the motion-compensated frames, _qa_cv.GainTracker).

    The brightness level is the running sum of the gains (cuts and black pairs add none);
    its moving average over `window` pairs keeps slow light changes (a sunset, a fade) and
    the residual keeps what swings faster, 2 Hz pumping and frame-to-frame flicker alike.
    The median of the residual ignores a single exposure step (a transient of half a
    second) and one bright object crossing; a sine of depth d% reads d.
    """
    if len(gains) < 3:
        return 0.0
    # A single step (exposure, a light switched on) is one outlying pair: clip every pair
    # to a few times the typical change, which pumping, spread over every pair, is not.
    g = np.where(usable, gains, 0.0)
    limit = STEP_CLIP * float(np.median(np.abs(g))) + 1e-4
    level = np.concatenate([[0.0], np.cumsum(np.clip(g, -limit, limit))])
    window = max(3, window | 1)
    pad = window // 2
    padded = np.pad(level, pad, mode="reflect") if len(level) > pad else np.pad(level, pad, "edge")
    kernel = np.ones(window) / window
    smooth = np.convolve(padded, kernel, mode="valid")[: len(level)]
    resid = level - smooth
    return float(100.0 * np.median(np.abs(resid)) / SQRT_HALF)
