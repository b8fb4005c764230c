"""Per-frame statistics for quality.py, gathered in its one decode pass.

Each frame's luma is box-averaged from the decoder's Y plane to a small fixed analysis
size, and the frames are analysed in vectorised chunks: brightness per block, black
frames and frame differences at the analysis size; global shift (phase correlation),
Lucas-Kanade flow per block and a cut score at half of it. Edge blur (_qa_cv.py) alone
looks at full resolution, on the frames quality.py picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

F32 = NDArray[np.float32]
C64 = NDArray[np.complex64]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

ANALYSIS_WIDTH = 160  # px; motion is reported in pixels per frame at this width
BLOCK = 16  # px at analysis size: the grid for local flow and local brightness
CHUNK = 48  # frames analysed together: numpy's per-call overhead is paid per chunk
# Black frames as ffmpeg's blackdetect filter sees them (its pix_th and
# picture_black_ratio_th defaults): 98% of pixels darker than 10% of the luma range.
BLACK_LEVEL = 0.10 * 255
BLACK_PIXELS = 0.98
FLAT_STD = 2.0  # levels: a frame flatter than this has no texture to align or correlate
PEAK_MIN = 0.08  # phase-correlation peak that makes a global shift believable (1 = exact)
# Lucas-Kanade trusts a block whose structure tensor's smaller eigenvalue (gradients of
# frames normalised to unit deviation, summed over an 8x8 block) exceeds LK_MIN_EIGEN:
# texture in two directions, not a plain area or a single straight edge. And the flow must
# explain LK_MIN_EXPLAINED of the block's change over time: grain, compression noise and
# lights switching on leave most of it unexplained (previz light changes read as 0.06
# px/frame of motion at 0.5, 0.02 at 0.7; real motion is explained at > 0.9).
LK_MIN_EIGEN = 0.5
LK_MIN_EXPLAINED = 0.7

# 8-bit formats whose first plane is the luma, read without conversion.
_LUMA_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p"}
    | {"yuvj440p", "yuv411p", "yuv410p", "nv12", "nv21", "gray"}
)


def analysis_height(width: int, height: int) -> int:
    """The analysis frame's height for a video of this size (even, at least a block)."""
    return max(BLOCK, round(ANALYSIS_WIDTH * height / width / 2) * 2)


def luma(frame: Any) -> tuple[NDArray[np.uint8], bool]:
    """A decoded frame's 8-bit luma as a (height, width) view, and whether it is full range."""
    name = frame.format.name
    if name in _LUMA_FORMATS:
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        full = name.startswith("yuvj") or name == "gray" or frame.color_range == 2
        return rows[:, : plane.width], full
    # Anything else (10-bit, RGB) goes through swscale, whose gray is full range.
    gray: NDArray[np.uint8] = frame.to_ndarray(format="gray")
    return gray, True


def shrink(y: NDArray[np.uint8], full: bool, width: int, height: int) -> F32:
    """Box-average luma to (height, width), in full-range levels 0-255."""
    h, w = y.shape
    k = max(1, min(w // width, h // height))
    hk, wk = h // k * k, w // k * k
    # Sums of k strided views (rows are contiguous): several times cheaper than swscale's
    # area filter or a reshape-mean. k*k*255 must fit the accumulator.
    wide = np.uint16 if k <= 15 else np.uint32
    rows: NDArray[Any] = y[0:hk:k].astype(wide)
    for i in range(1, k):
        np.add(rows, y[i:hk:k], out=rows)
    acc: NDArray[Any] = rows[:, 0:wk:k].copy()
    for i in range(1, k):
        np.add(acc, rows[:, i:wk:k], out=acc)
    small = acc.astype(np.float32)
    if full:
        small *= np.float32(1.0 / (k * k))
    else:  # studio range: 16-235
        small -= np.float32(16.0 * k * k)
        small *= np.float32(255.0 / 219.0 / (k * k))
    if small.shape != (height, width):
        image = Image.fromarray(small, mode="F").resize((width, height), Image.Resampling.BILINEAR)
        small = np.asarray(image, dtype=np.float32)
    return small


def is_black(small: F32) -> bool:
    """Whether an analysis frame is black (see BLACK_LEVEL)."""
    return bool(np.count_nonzero(small < BLACK_LEVEL) >= BLACK_PIXELS * small.size)


@dataclass(frozen=True)
class FrameStats:
    """What the analysis keeps: per frame (n), and per pair of consecutive frames (n - 1)."""

    mean: NDArray[np.float64]  # frame's mean luma, levels
    black: Mask
    blocks: F32  # (n, blocks) mean luma per block
    mad: F32  # mean absolute difference to the previous frame, levels
    dissim: F32  # 1 - normalised correlation with the previous frame once aligned
    flow: C64  # (n - 1, blocks) flow x + iy, px/frame at the analysis width


class Analyser:
    """Collects analysis frames and turns each chunk into FrameStats rows.

    Alignment, flow and the cut score run at half the analysis size (80 px wide): four
    times cheaper, smooth enough for Lucas-Kanade, and flows are scaled back.
    """

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.h2, self.w2 = height // 2, width // 2
        self.nbx, self.nby = width // BLOCK, height // BLOCK
        self.ox = (width - self.nbx * BLOCK) // 2
        self.oy = (height - self.nby * BLOCK) // 2
        # Hann window for the phase correlation: no wrap-around edges.
        self.window = np.outer(np.hanning(self.h2), np.hanning(self.w2)).astype(np.float32)
        self.pending: list[F32] = []
        self.last: tuple[F32, F32] | None = None  # the last frame so far, at both sizes
        self.parts: dict[str, list[NDArray[Any]]] = {k: [] for k in FrameStats.__annotations__}

    def add(self, small: F32) -> None:
        """One analysis frame, in decoding order."""
        self.pending.append(small)
        if len(self.pending) >= CHUNK:
            self._flush()

    def finish(self) -> FrameStats:
        """Everything added so far, as arrays."""
        self._flush()
        blocks = self.nbx * self.nby

        def cat(key: str, dtype: Any, *shape: int) -> NDArray[Any]:
            parts = self.parts[key]
            return np.concatenate(parts) if parts else np.zeros((0, *shape), dtype)

        return FrameStats(
            mean=cat("mean", np.float64),
            black=cat("black", np.bool_),
            blocks=cat("blocks", np.float32, blocks),
            mad=cat("mad", np.float32),
            dissim=cat("dissim", np.float32),
            flow=cat("flow", np.complex64, blocks),
        )

    def _flush(self) -> None:
        if not self.pending:
            return
        new = np.stack(self.pending)
        self.pending = []
        size = new.shape[1] * new.shape[2]
        self.parts["mean"].append(new.mean(axis=(1, 2), dtype=np.float64))
        dark = np.count_nonzero(new < BLACK_LEVEL, axis=(1, 2))
        self.parts["black"].append(dark >= BLACK_PIXELS * size)
        self.parts["blocks"].append(self._block_sums(new, BLOCK, 0) * np.float32(BLOCK**-2))
        q = new[:, : 2 * self.h2, : 2 * self.w2]
        half = (q[:, 0::2, 0::2] + q[:, 0::2, 1::2] + q[:, 1::2, 0::2] + q[:, 1::2, 1::2]) * 0.25
        if self.last is not None:
            new = np.concatenate([self.last[0][None], new])
            half = np.concatenate([self.last[1][None], half])
        self.last = new[-1], half[-1]
        if len(new) >= 2:
            self._pairs(new, half)

    def _block_sums(self, x: F32, side: int, shrink: int) -> F32:
        """(..., h, w) -> (..., blocks): sums over the centred block grid, at the analysis
        size (shrink 0) or half of it (shrink 1)."""
        lead = x.shape[:-2]
        oy, ox = self.oy >> shrink, self.ox >> shrink
        x = x[..., oy : oy + self.nby * side, ox : ox + self.nbx * side]
        x = x.reshape(*lead, self.nby, side, self.nbx, side).sum(axis=-1).sum(axis=-2)
        return x.reshape(*lead, self.nby * self.nbx)

    def _pairs(self, frames: F32, half: F32) -> None:
        self.parts["mad"].append(np.abs(frames[1:] - frames[:-1]).mean(axis=(1, 2)))
        # Each frame normalised (zero mean, unit deviation), so that global brightness and
        # contrast changes (flicker, fades) neither move the flow nor look like cuts.
        mu = half.mean(axis=(1, 2), keepdims=True)
        sd = half.std(axis=(1, 2), keepdims=True)
        flat = sd[:, 0, 0] < FLAT_STD
        norm = (half - mu) / np.maximum(sd, FLAT_STD)
        dx, dy = self._global_shift(norm, flat)
        # A shift must beat no shift: phase correlation can lock onto a large moving subject
        # in front of a still background.
        a = norm[:-1]
        unshifted = (a * norm[1:]).mean(axis=(1, 2))
        b, weight = self._aligned(norm, dx, dy)
        ac, bc, corr = _correlate(a, b, weight)
        drop = (corr <= unshifted) & ((dx != 0) | (dy != 0))
        if drop.any():
            dx, dy = np.where(drop, 0, dx), np.where(drop, 0, dy)
            b, weight = self._aligned(norm, dx, dy)
            ac, bc, corr = _correlate(a, b, weight)
        dissim = 1.0 - corr
        # Two flat frames: compare brightness instead (a cut from one plain colour to another).
        jump = np.minimum(np.abs(mu[1:, 0, 0] - mu[:-1, 0, 0]) / 30.0, 1.0)
        dissim = np.where(flat[:-1] & flat[1:], jump, dissim)
        self.parts["dissim"].append(dissim.astype(np.float32))
        self.parts["flow"].append(self._block_flow(ac, bc, dx, dy))

    def _global_shift(self, norm: F32, flat: Mask) -> tuple[I64, I64]:
        """Each pair's global shift in whole (half-size) pixels, by phase correlation: any
        pan speed, at the cost of two FFTs. Pairs whose correlation peak is too weak to
        trust (a cut, a flat picture) get none."""
        n = len(norm) - 1
        h2, w2 = self.h2, self.w2
        spec = np.fft.rfft2(norm * self.window)
        cross = spec[1:] * np.conj(spec[:-1])
        cross /= np.abs(cross) + np.float32(1e-6)
        surface = np.fft.irfft2(cross, s=(h2, w2)).reshape(n, -1)
        best = surface.argmax(axis=1)
        peak = surface[np.arange(n), best]
        dy, dx = best // w2, best % w2
        dy = np.where(dy > h2 // 2, dy - h2, dy)
        dx = np.where(dx > w2 // 2, dx - w2, dx)
        trust = (peak >= PEAK_MIN) & ~flat[:-1] & ~flat[1:]
        return np.where(trust, dx, 0), np.where(trust, dy, 0)

    def _aligned(self, norm: F32, dx: I64, dy: I64) -> tuple[F32, F32]:
        """Each next frame shifted onto the one before, b[k](y, x) = norm[k + 1](y + dy,
        x + dx), and the weight (0 or 1) of where they overlap, less a pixel all round where
        the gradients would see the edge of the overlap."""
        b = np.zeros_like(norm[:-1])
        weight = np.zeros_like(b)
        h, w = self.h2, self.w2
        for k in range(len(b)):
            y0, y1 = max(0, -dy[k]) + 1, min(h, h - dy[k]) - 1
            x0, x1 = max(0, -dx[k]) + 1, min(w, w - dx[k]) - 1
            if y1 - y0 >= 4 and x1 - x0 >= 4:
                b[k, y0:y1, x0:x1] = norm[k + 1, y0 + dy[k] : y1 + dy[k], x0 + dx[k] : x1 + dx[k]]
                weight[k, y0:y1, x0:x1] = 1.0
        return b, weight

    def _block_flow(self, a: F32, b: F32, dx: I64, dy: I64) -> C64:
        """Per-block flow (x + iy) in analysis pixels: the global shift plus a Lucas-Kanade
        residual, both measured at half size."""
        # Blurred first: central differences underestimate the gradient of detail near the
        # pixel scale, which would inflate the flow by up to 40%.
        a, b = _smooth(a), _smooth(b)
        mid = (a + b) * np.float32(0.5)
        gx = np.zeros_like(mid)
        gy = np.zeros_like(mid)
        gx[:, :, 1:-1] = (mid[:, :, 2:] - mid[:, :, :-2]) * np.float32(0.5)
        gy[:, 1:-1, :] = (mid[:, 2:, :] - mid[:, :-2, :]) * np.float32(0.5)
        gt = b - a
        side = BLOCK // 2
        products = (gx * gx, gy * gy, gx * gy, gx * gt, gy * gt, gt * gt, gx, gy, gt)
        sums = [self._block_sums(g, side, 1) for g in products]
        # A brightness offset per block is a third unknown (light changing in one part of
        # the picture is not motion); solving for it centres every sum on the block's mean.
        sx, sy, st = sums[6:]
        inv = np.float32(side**-2)
        sxx = sums[0] - sx * sx * inv
        syy = sums[1] - sy * sy * inv
        sxy = sums[2] - sx * sy * inv
        sxt = sums[3] - sx * st * inv
        syt = sums[4] - sy * st * inv
        stt = sums[5] - st * st * inv
        det = sxx * syy - sxy * sxy
        trace = sxx + syy
        lam = trace * 0.5 - np.sqrt(np.maximum(trace * trace * 0.25 - det, 0.0))
        ok = lam > LK_MIN_EIGEN
        safe = np.where(ok, det, 1.0)
        u = -(syy * sxt - sxy * syt) / safe
        v = -(sxx * syt - sxy * sxt) / safe
        ok &= -(u * sxt + v * syt) >= LK_MIN_EXPLAINED * np.maximum(stt, 1e-6)
        # Untrusted blocks keep the global shift. Lucas-Kanade is linear within about a
        # pixel; beyond that its answer only says "moving".
        fx = dx[:, None] + np.clip(np.where(ok, u, 0.0), -1.5, 1.5)
        fy = dy[:, None] + np.clip(np.where(ok, v, 0.0), -1.5, 1.5)
        flow: C64 = (2.0 * (fx + 1j * fy)).astype(np.complex64)
        return flow


def _smooth(x: F32) -> F32:
    """Separable [1, 2, 1] / 4 blur over the last two axes (border rows and columns kept)."""
    out = x.copy()
    out[..., 1:-1, :] = (x[..., :-2, :] + 2 * x[..., 1:-1, :] + x[..., 2:, :]) * np.float32(0.25)
    tmp = out.copy()
    out[..., 1:-1] = (tmp[..., :-2] + 2 * tmp[..., 1:-1] + tmp[..., 2:]) * np.float32(0.25)
    return out


def _correlate(a: F32, b: F32, weight: F32) -> tuple[F32, F32, F32]:
    """Both stacks centred on their means over the weighted overlap (zero outside it), and
    their normalised correlation per pair."""
    cnt = np.maximum(weight.sum(axis=(1, 2)), 1.0)
    ac = a - ((a * weight).sum(axis=(1, 2)) / cnt)[:, None, None]
    ac *= weight
    bc = b - (b.sum(axis=(1, 2)) / cnt)[:, None, None]
    bc *= weight
    num = (ac * bc).sum(axis=(1, 2))
    corr = num / np.sqrt((ac * ac).sum(axis=(1, 2)) * (bc * bc).sum(axis=(1, 2)) + 1e-6)
    return ac, bc, corr
