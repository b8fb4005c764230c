"""The QA measurements that OpenCV does: edge blur width and motion-compensated gain.

- `edge_blur`: the blur of a picture's sharpest edges as a Gaussian sigma in pixels, by
  the re-blur gradient ratio (Zhuo & Sim, "Defocus map estimation from a single image",
  2011): blurring an edge of blur s again by s0 lowers its gradient peak by
  sqrt(s^2 + s0^2) / s, whatever its contrast. Measured at no more than 720 lines, so a
  4K and a 720p picture of the same sharpness read the same, on local maxima of the
  gradient (edges, not ramps), and only where there are enough of them (edge density).
- `GainTracker`: the global brightness change between consecutive frames once motion is
  compensated: DIS optical flow warps the previous analysis frame onto the next, and the
  median log ratio of the two is the gain. A bright object crossing moves with the flow
  and touches few pixels; light pumping changes them all.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
U8 = NDArray[np.uint8]

BLUR_LINES = 720  # pictures taller than this are measured scaled down to it
REBLUR = 1.0  # px: the second blur of the re-blur ratio
EDGE_MIN = 2.0  # levels/px: a gradient weaker than this is grain, not an edge
EDGE_TOP = 97.0  # percentile: edge pixels are among the strongest 3% of gradients
EDGE_SHARE = 0.25  # the estimate is the edge blur of the sharpest quarter of edge pixels
MIN_DENSITY = 0.001  # a picture with fewer edge pixels than this has nothing to judge
_GAIN_LO, _GAIN_HI = 16.0, 240.0  # levels: pixels near black or clipped tell no gain


def edge_blur(y: U8) -> tuple[float | None, float]:
    """(blur sigma of the sharpest edges in px at <= 720 lines or None, edge density)."""
    h, w = y.shape
    img: NDArray[Any] = y
    if h > BLUR_LINES:
        size = (round(w * BLUR_LINES / h), BLUR_LINES)
        img = cv2.resize(y, size, interpolation=cv2.INTER_AREA)
    f: F32 = img.astype(np.float32)
    g = _gradient(f)
    # Edge pixels: local maxima of the gradient (3x3) that stand out of the grain.
    peak = g >= cv2.dilate(g, np.ones((3, 3), np.uint8))
    # The percentile of a 1-in-9 sample: a quarter of the cost of the whole picture's.
    edge = peak & (g > max(EDGE_MIN, float(np.percentile(g[::3, ::3], EDGE_TOP))))
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = False
    density = float(np.count_nonzero(edge)) / edge.size
    if density < MIN_DENSITY:
        return None, density
    ys, xs = np.nonzero(edge)
    g2 = _gradient_at(np.asarray(cv2.GaussianBlur(f, (0, 0), REBLUR), dtype=np.float32), ys, xs)
    ratio = np.maximum(g[ys, xs] / np.maximum(g2, 1e-3), 1.0 + 1e-4)
    sigma = REBLUR / np.sqrt(ratio * ratio - 1.0)
    # The sharpest edges: a picture with any in-focus part is judged by it, not by its
    # bokeh, its motion-blurred parts or its soft shading.
    return float(np.percentile(sigma, 100 * EDGE_SHARE)), density


def _gradient_at(b: F32, ys: NDArray[np.intp], xs: NDArray[np.intp]) -> F32:
    """`_gradient` of `b` at the given pixels only (the same 3x3 Sobel, scaled by 1/8):
    the re-blurred picture is needed at edge pixels, a few percent of them."""
    gx = (b[ys - 1, xs + 1] + 2 * b[ys, xs + 1] + b[ys + 1, xs + 1]) - (
        b[ys - 1, xs - 1] + 2 * b[ys, xs - 1] + b[ys + 1, xs - 1]
    )
    gy = (b[ys + 1, xs - 1] + 2 * b[ys + 1, xs] + b[ys + 1, xs + 1]) - (
        b[ys - 1, xs - 1] + 2 * b[ys - 1, xs] + b[ys - 1, xs + 1]
    )
    return np.asarray(np.hypot(gx, gy) * 0.125, dtype=np.float32)


def _gradient(f: F32) -> F32:
    gx: NDArray[Any] = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy: NDArray[Any] = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return np.asarray(cv2.magnitude(gx, gy), dtype=np.float32)


def one_thread() -> int:
    """Keep OpenCV to the calling thread (the frames here are small: threads only cost);
    returns the previous setting for `cv2.setNumThreads`."""
    before = int(cv2.getNumThreads())
    cv2.setNumThreads(1)
    return before


class GainTracker:
    """Global brightness change (natural log) of each frame against the one before it."""

    def __init__(self) -> None:
        preset = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
        self.flow = cv2.DISOpticalFlow_create(preset)  # type: ignore[attr-defined]
        self.last: U8 | None = None
        self.grid: tuple[F32, F32] | None = None

    def add(self, small: F32) -> float | None:
        """The log gain from the previous frame to this one; None for the first."""
        cur = np.clip(small, 0, 255).astype(np.uint8)
        prev, self.last = self.last, cur
        if prev is None:
            return None
        h, w = cur.shape
        if self.grid is None or self.grid[0].shape != (h, w):
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self.grid = xs, ys
        # Flow from cur to prev: where each pixel of cur came from.
        flow = self.flow.calc(cur, prev, None)
        warped = cv2.remap(
            prev, self.grid[0] + flow[..., 0], self.grid[1] + flow[..., 1], cv2.INTER_LINEAR
        ).astype(np.float32)
        now = cur.astype(np.float32)
        ok = (warped > _GAIN_LO) & (warped < _GAIN_HI) & (now > _GAIN_LO) & (now < _GAIN_HI)
        if np.count_nonzero(ok) < 0.05 * ok.size:
            return 0.0
        return float(np.log(np.median(now[ok] / warped[ok])))  # log is monotonic
