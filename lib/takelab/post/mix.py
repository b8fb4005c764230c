"""The cut's sound: each take's own track where it plays, the audio bed under it all, and
the whole mix brought to a loudness target.

Takes made with sound (dialogue, effects, ambience) keep it in the cut. Each take's sound
is cut at the same frames as its picture: a hard cut gets a 10 ms fade each side (no
click), a crossfade fades the outgoing sound out while the incoming fades in over the
same frames. The bed (`cut: audio:`) is decoded, faded and levelled as it always was and
added. Then the mix is measured with ffmpeg's EBU R128 meter and one gain brings it to
`cut: loudness:` (default -14 LUFS, what streaming platforms play at); a mix that would
then clip is soft-limited on its peaks only.
"""

from __future__ import annotations

import math
import tempfile
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from takelab.errors import VideoError
from takelab.media.audio_quality import loudness
from takelab.media.io import has_audio as has_sound
from takelab.post.layout import Layout, Segment
from takelab.project.cut_model import AudioBed, Cut, resolve

RATE = 48_000
EDGE_S = 0.01  # the fade at a hard cut: long enough to stop a click, too short to hear
_CEILING = 0.97  # about -0.3 dBFS: peaks above it are soft-limited
Samples = NDArray[np.float32]  # n x 2, float in [-1, 1]


def decode(path: Path, start_s: float = 0.0, seconds: float | None = None) -> Samples:
    """A file's first sound track from `start_s` for `seconds`, as 48 kHz stereo float."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE)
            chunks: list[NDArray[Any]] = []
            for frame in container.decode(stream):
                chunks += [f.to_ndarray().reshape(-1, 2) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1, 2) for f in resampler.resample(None)]
    except (av.FFmpegError, IndexError) as exc:
        raise VideoError(path, f"its sound cannot be decoded ({exc})") from exc
    whole = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    a = round(start_s * RATE)
    b = whole.shape[0] if seconds is None else a + round(seconds * RATE)
    return np.ascontiguousarray(whole[a:b], dtype=np.float32)


def _envelope(n: int, fade_in: int, fade_out: int) -> NDArray[np.float32]:
    """Gain over n samples: a linear rise over the first `fade_in`, a fall over the last
    `fade_out`."""
    env = np.ones(n, np.float32)
    if fade_in > 0:
        k = min(n, fade_in)
        env[:k] *= (np.arange(k, dtype=np.float32) + 0.5) / fade_in
    if fade_out > 0:
        k = min(n, fade_out)
        env[n - k :] *= ((np.arange(k, dtype=np.float32) + 0.5) / fade_out)[::-1]
    return env


def _fade_out_frames(segments: list[Segment], i: int) -> int:
    """Frames over which segment i's sound fades out: the overlap with the next segment
    that cross-fades in over it (0 at a hard cut)."""
    s = segments[i]
    if i + 1 < len(segments):
        nxt = segments[i + 1]
        if nxt.fade_in and s.start <= nxt.start < s.end:
            return s.end - nxt.start
    return 0


def takes_sound(layout: Layout) -> tuple[Samples, int]:
    """Every take's sound placed on the cut's clock; the count of takes that have any."""
    fps = layout.fps
    total = round(layout.frames / fps * RATE)
    out = np.zeros((total, 2), np.float32)
    edge = round(EDGE_S * RATE)
    count = 0
    for i, s in enumerate(layout.segments):
        if s.media is None or not has_sound(s.media):
            continue
        sound = decode(s.media, s.source_in / fps, s.frames / fps)
        a = round(s.start / fps * RATE)
        sound = sound[: max(0, total - a)]
        if not sound.shape[0]:
            continue
        fade_in = round(s.fade_in / fps * RATE) if s.fade_in else edge
        over = _fade_out_frames(layout.segments, i)
        fade_out = round(over / fps * RATE) if over else edge
        out[a : a + sound.shape[0]] += sound * _envelope(sound.shape[0], fade_in, fade_out)[:, None]
        count += 1
    return out, count


def bed_sound(bed: AudioBed, base: Path, seconds: float) -> Samples:
    """The audio bed, cut to the cut's length, with its fades and level."""
    path = resolve(base, bed.file)
    assert path is not None
    sound = decode(path, 0.0, seconds)
    n = sound.shape[0]
    env = _envelope(n, round(bed.fade_in * RATE), round(bed.fade_out * RATE))
    gain = np.float32(10 ** (bed.level / 20))
    return np.ascontiguousarray(sound * env[:, None] * gain)


def integrated_loudness(samples: Samples, work_dir: Path) -> float | None:
    """EBU R128 integrated loudness of float samples (ffmpeg's meter on a scratch WAV).

    The samples are scaled to a safe peak for the 16-bit file and the scale is taken back
    off the reading, so a hot mix is measured as it is, not as its clipped copy."""
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak <= 0:
        return None
    scale = 0.5 / peak
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        wav = write_wav(samples * scale, Path(scratch) / "measure.wav")
        lufs, _ = loudness(wav)
    return None if lufs is None else lufs - 20 * math.log10(scale)


def _limit(samples: Samples) -> Samples:
    """Soft-limit peaks above the ceiling (tanh knee); quieter samples are untouched."""
    over = np.abs(samples) > _CEILING
    if not over.any():
        return samples
    head = 1.0 - _CEILING
    out = samples.copy()
    x = np.abs(samples[over]) - _CEILING
    out[over] = np.sign(samples[over]) * (_CEILING + head * np.tanh(x / head))
    return out


def mix(layout: Layout, cut: Cut, base: Path, work_dir: Path) -> Samples | None:
    """The cut's sound, at `cut.loudness` LUFS when set; None when nothing makes sound."""
    sound, takes = takes_sound(layout)
    if cut.audio is not None:
        bed = bed_sound(cut.audio, base, layout.duration_s)
        sound[: bed.shape[0]] += bed[: sound.shape[0]]
    elif not takes:
        return None
    if cut.loudness is not None:
        measured = integrated_loudness(sound, work_dir)
        if measured is not None:
            sound *= np.float32(10 ** ((cut.loudness - measured) / 20))
    return _limit(sound)


def write_wav(samples: Samples, dest: Path) -> Path:
    """16-bit PCM stereo at 48 kHz."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return dest


__all__ = ["RATE", "bed_sound", "decode", "integrated_loudness", "mix", "write_wav"]
