"""Audio metrics of a take, and the flags they raise: `silent` and `clipping`.

Generators that make sound with the picture sometimes return a clip whose track is
missing or empty, or so hot it clips. Three numbers catch that:

- `has_audio`: the file has a sound track at all;
- integrated loudness (EBU R128, LUFS), measured by ffmpeg's `ebur128` filter (the
  ffmpeg that imageio-ffmpeg bundles), with its true peak;
- the share of silence: 50 ms windows quieter than -50 dBFS, from the decoded samples.

`silent` is raised only where sound was asked for (a take with `audio: true`, or `qa
--audio`) and none came: a silent take made silent on purpose is not broken.
`clipping` is raised when more than 0.1% of the samples sit at full scale.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import av
import numpy as np
from pydantic import BaseModel, Field

from takelab.errors import VideoError

AUDIO_FLAGS = ("silent", "clipping")
SILENCE_DBFS = -50.0  # a window quieter than this is silence (room tone sits near -60)
SILENT_LUFS = -60.0  # below this the whole track counts as silent
SILENT_SHARE = 0.95  # ... as does a track that is silent nearly all the way through
CLIP_LEVEL = 0.99  # a sample this close to full scale is clipped
CLIP_SHARE = 0.001  # more than 0.1% of samples clipped raises `clipping`
_WINDOW_S = 0.05
_LOUDNESS = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-?inf) LUFS", re.S)
_PEAK = re.compile(r"True peak:\s*Peak:\s*(-?[\d.]+|-?inf) dBFS", re.S)


class AudioQuality(BaseModel):
    """The sound of one file: whether it has any, how loud, how much is silence."""

    has_audio: bool
    loudness_lufs: float | None = Field(default=None, description="EBU R128 integrated loudness")
    true_peak_dbfs: float | None = None
    silence_ratio: float | None = Field(
        default=None, description="share of 50 ms windows < -50 dBFS"
    )
    clipped_ratio: float | None = Field(default=None, description="share of samples at full scale")
    flags: list[str] = Field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        """The numbers, named for the journal and MLflow (absent ones left out)."""
        out = {"audio_present": 1.0 if self.has_audio else 0.0}
        for name, value in (
            ("audio_loudness_lufs", self.loudness_lufs),
            ("audio_true_peak_dbfs", self.true_peak_dbfs),
            ("audio_silence_ratio", self.silence_ratio),
        ):
            if value is not None and math.isfinite(value):
                out[name] = round(value, 4)
        return out

    def summary(self) -> str:
        """One cell for a table: `-14.1 LUFS, 12% silence`, or `none`."""
        if not self.has_audio:
            return "none"
        loud = "silent" if self.loudness_lufs is None else f"{self.loudness_lufs:.1f} LUFS"
        return f"{loud}, {self.silence_ratio or 0:.0%} silence"


def loudness(path: str | Path) -> tuple[float | None, float | None]:
    """Integrated loudness (LUFS) and true peak (dBFS) of a file's first sound track, by
    ffmpeg's EBU R128 meter; None for a track too quiet to gate (digital silence)."""
    from takelab.media.io import ffmpeg_exe

    path = Path(path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-map", "0:a:0"]
    cmd += ["-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VideoError(path, f"cannot measure loudness ({exc})") from exc
    text = done.stderr.decode("utf-8", "replace")
    found = _LOUDNESS.search(text)
    if done.returncode != 0 or found is None:
        raise VideoError(path, f"cannot measure loudness: {text.strip()[-300:] or 'no output'}")
    lufs = float(found[1])
    peak = _PEAK.search(text)
    true_peak = float(peak[1]) if peak else None
    return (
        None if not math.isfinite(lufs) or lufs <= -70.0 else lufs,
        true_peak if true_peak is not None and math.isfinite(true_peak) else None,
    )


def _samples(path: Path) -> tuple[np.ndarray, int] | None:
    """The first sound track decoded to float32 (channels x n) and its rate; None if none."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or 48_000)
            resampler = av.AudioResampler(format="fltp", rate=rate)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
    except av.FFmpegError as exc:
        raise VideoError(path, f"its sound does not decode ({exc})") from exc
    if not chunks:
        return np.zeros((1, 0), np.float32), rate
    return np.concatenate(chunks, axis=1).astype(np.float32), rate


def measure_audio(path: str | Path, *, asked: bool | None = None) -> AudioQuality:
    """The audio metrics of `path`; `asked` is whether sound was asked for (True raises
    `silent` when none came; None or False never does)."""
    path = Path(path)
    decoded = _samples(path)
    if decoded is None:
        return AudioQuality(has_audio=False, flags=["silent"] if asked else [])
    samples, rate = decoded
    window = max(1, round(_WINDOW_S * rate))
    usable = samples.shape[1] // window * window
    if usable:
        blocks = samples[:, :usable].reshape(samples.shape[0], -1, window)
        rms = np.sqrt(np.mean(blocks.astype(np.float64) ** 2, axis=(0, 2)))
        level = 20 * np.log10(np.maximum(rms, 1e-10))
        silence = float(np.mean(level < SILENCE_DBFS))
    else:
        silence = 1.0
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL)) if samples.size else 0.0
    lufs, peak = loudness(path) if samples.size else (None, None)
    flags = []
    if asked and (lufs is None or lufs < SILENT_LUFS or silence >= SILENT_SHARE):
        flags.append("silent")
    if clipped > CLIP_SHARE:
        flags.append("clipping")
    return AudioQuality(
        has_audio=True,
        loudness_lufs=lufs,
        true_peak_dbfs=peak,
        silence_ratio=round(silence, 4),
        clipped_ratio=round(clipped, 6),
        flags=flags,
    )


__all__ = ["AUDIO_FLAGS", "AudioQuality", "loudness", "measure_audio"]
