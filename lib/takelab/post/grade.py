"""Colour grades on footage: a `.cube` LUT (1D or 3D, trilinear), or lift / gamma / gain.

A grade becomes a function from an RGB uint8 frame to an RGB uint8 frame. Lift / gamma /
gain and 1D LUTs are one table lookup per channel; a 3D LUT is interpolated trilinearly
from its eight surrounding lattice points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from takelab.errors import PromptFileError
from takelab.project.cut_model import Grade

Frame = NDArray[np.uint8]
Grader = Callable[[Frame], Frame]
DENSE_BITS = 7


@dataclass(frozen=True)
class Lut:
    """A parsed .cube file: `table` is (N, 3) for 1D or (N, N, N, 3) indexed [b, g, r]."""

    size: int
    table: NDArray[np.float32]
    domain_min: NDArray[np.float32]
    domain_max: NDArray[np.float32]

    @property
    def is_3d(self) -> bool:
        return self.table.ndim == 4


def read_cube(path: Path) -> Lut:
    """Parse an Adobe/Resolve .cube LUT; a malformed file raises a PromptFileError at its
    line."""

    def fail(message: str, line: int | None, hint: str) -> PromptFileError:
        return PromptFileError(path, f"LUT: {message}", line=line, hint=hint)

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}", None, "check the path") from exc
    size_1d = size_3d = 0
    lo = np.zeros(3, np.float32)
    hi = np.ones(3, np.float32)
    rows: list[tuple[float, float, float]] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        head, _, rest = text.partition(" ")
        key = head.upper()
        try:
            if key == "TITLE":
                continue
            if key == "LUT_3D_SIZE":
                size_3d = int(rest)
                continue
            if key == "LUT_1D_SIZE":
                size_1d = int(rest)
                continue
            if key in ("DOMAIN_MIN", "DOMAIN_MAX"):
                values = np.array([float(v) for v in rest.split()], np.float32)
                if values.shape != (3,):
                    raise ValueError("three numbers expected")
                if key == "DOMAIN_MIN":
                    lo = values
                else:
                    hi = values
                continue
            if key.startswith("LUT_") or key.isalpha():
                continue  # LUT_3D_INPUT_RANGE and other vendor keywords
            r, g, b = (float(v) for v in text.split())
            rows.append((r, g, b))
        except ValueError:
            raise fail(
                f"cannot read line {number}: {raw.strip()[:60]!r}",
                number,
                "each data line holds three numbers (red, green, blue)",
            ) from None
    size = size_3d or size_1d
    if size < 2:
        raise fail("no LUT_3D_SIZE or LUT_1D_SIZE line", 1, "is this a .cube LUT file?")
    expected = size**3 if size_3d else size
    if len(rows) != expected:
        raise fail(
            f"{len(rows)} data lines for a size-{size} LUT, which needs {expected}",
            len(lines),
            "the file is cut short or has extra lines; export the LUT again",
        )
    table = np.asarray(rows, np.float32)
    if size_3d:
        table = table.reshape(size, size, size, 3)  # red changes fastest: [b, g, r]
    if np.any(hi <= lo):
        raise fail("DOMAIN_MAX must be above DOMAIN_MIN", None, "fix the DOMAIN lines")
    return Lut(size, table, lo, hi)


def _to_uint8(values: NDArray[np.float32]) -> Frame:
    out: Frame = np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def _interpolate(rgb: NDArray[np.float32], lut: Lut) -> NDArray[np.float32]:
    """LUT output for (..., 3) input values in 0-1: trilinear in 3D, linear in 1D."""
    n = lut.size
    x = (rgb - lut.domain_min) / (lut.domain_max - lut.domain_min)
    x = np.clip(x, 0.0, 1.0) * (n - 1)
    if not lut.is_3d:
        out = np.empty_like(x)
        grid = np.arange(n, dtype=np.float32)
        for c in range(3):
            out[..., c] = np.interp(x[..., c], grid, lut.table[:, c])
        return out
    i0 = np.minimum(x.astype(np.int32), n - 2)
    f = x - i0
    flat = lut.table.reshape(-1, 3)
    fr, fg, fb = f[..., 0:1], f[..., 1:2], f[..., 2:3]
    base = (i0[..., 2] * n + i0[..., 1]) * n + i0[..., 0]
    out = np.zeros(rgb.shape, np.float32)
    for db, wb in ((0, 1 - fb), (1, fb)):
        for dg, wg in ((0, 1 - fg), (1, fg)):
            idx = base + (db * n + dg) * n
            out += (wb * wg) * ((1 - fr) * flat[idx] + fr * flat[idx + 1])
    return out


def apply_lut(frame: Frame, lut: Lut) -> Frame:
    """The frame through the LUT, interpolated exactly (slow: for single frames)."""
    return _to_uint8(_interpolate(frame.astype(np.float32) / 255.0, lut))


def _weights(centres: NDArray[np.float32], n: int, lo: float, hi: float) -> NDArray[np.float32]:
    """(levels, n) linear-interpolation weights of lattice nodes for each input level."""
    x = np.clip((centres - lo) / (hi - lo), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(x.astype(np.int64), n - 2)
    f = (x - i0).astype(np.float32)
    w = np.zeros((len(centres), n), np.float32)
    rows = np.arange(len(centres))
    w[rows, i0] = 1.0 - f
    w[rows, i0 + 1] += f
    return w


def dense_table(lut: Lut, bits: int = DENSE_BITS) -> Frame:
    """A 3D LUT resampled to 2**bits levels per channel as uint8 RGB rows, indexed by
    (b << 2 bits) | (g << bits) | r: each frame then costs one lookup. Trilinear
    interpolation is separable, so resampling is three small matrix products. 7 bits keep
    the error within about one level of 255 for smooth LUTs."""
    levels = 1 << bits
    centres = ((np.arange(levels, dtype=np.float32) + 0.5) * (256 / levels) - 0.5) / 255.0
    n = lut.size
    lo, hi = lut.domain_min, lut.domain_max
    wr, wg, wb = (_weights(centres, n, float(lo[c]), float(hi[c])) for c in range(3))
    t = np.einsum("rk,bgkc->bgrc", wr, lut.table, optimize=True)
    t = np.einsum("gj,bjrc->bgrc", wg, t, optimize=True)
    t = np.einsum("bi,igrc->bgrc", wb, t, optimize=True)
    return _to_uint8(t).reshape(-1, 3)


def lift_gamma_gain_table(grade: Grade) -> Frame:
    """A (3, 256) lookup table: y = (gain * (x + lift * (1 - x))) ** (1 / gamma)."""
    x = np.linspace(0.0, 1.0, 256, dtype=np.float64)
    rows = []
    for c in range(3):
        y = grade.gain[c] * (x + grade.lift[c] * (1.0 - x))
        rows.append(np.clip(y, 0.0, 1.0) ** (1.0 / grade.gamma[c]))
    return np.clip(np.stack(rows) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def grader(grade: Grade | None, base: Path) -> Grader | None:
    """The function that grades one frame, or None when there is nothing to do. A LUT is
    read (and checked) here, before any rendering starts."""
    if grade is None or grade.identity:
        return None
    if grade.lut is not None:
        path = Path(grade.lut)
        lut = read_cube(path if path.is_absolute() else (base / path).resolve())
        if not lut.is_3d:
            return _by_table(_table_1d(lut))
        dense = dense_table(lut)
        shift = 8 - DENSE_BITS

        def by_lut(frame: Frame) -> Frame:
            f = (frame >> shift).astype(np.int32)
            index = (f[..., 2] << (2 * DENSE_BITS)) | (f[..., 1] << DENSE_BITS) | f[..., 0]
            return np.take(dense, index, axis=0)

        return by_lut
    return _by_table(lift_gamma_gain_table(grade))


def _table_1d(lut: Lut) -> Frame:
    """A 1D LUT as a (3, 256) lookup table."""
    x = np.arange(256, dtype=np.float32)[:, None] / 255.0
    return _to_uint8(_interpolate(np.repeat(x, 3, axis=1), lut)).T.copy()


def _by_table(table: Frame) -> Grader:
    def by_table(frame: Frame) -> Frame:
        out = np.empty_like(frame)
        for c in range(3):
            out[..., c] = table[c][frame[..., c]]
        return out

    return by_table


__all__ = [
    "Grader",
    "Lut",
    "apply_lut",
    "dense_table",
    "grader",
    "lift_gamma_gain_table",
    "read_cube",
]
