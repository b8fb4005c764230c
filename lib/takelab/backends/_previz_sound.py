"""previz: the spoken lines and sound cues of a take, timed, and a synthesised sound bed.

The animatic stands in for a generator that makes sound with the picture, so that audio
flows through the whole pipeline offline (QA, previews, the cut): each spoken line is a
tone, pitched per speaker and pulsed like syllables, and a sound cue is filtered noise
under the whole clip. The same request always gives the same samples.
"""

from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

RATE = 48_000
# One pitch per speaker, in the order speakers first speak: a minor pentatonic, so two
# voices never beat against each other.
_PITCHES = (220.0, 293.7, 164.8, 261.6, 196.0, 329.6)
_SECONDS_PER_WORD = 0.36  # about 165 words a minute, a relaxed speaking pace
_LABELLED = re.compile(r'Dialogue(?: \(at ([\d.]+)s\))?: (.+?) says: "([^"]*)"')
_BLOCK = re.compile(r'^- (?:\(at ([\d.]+)s\) )?(.+?) says: "([^"]*)"', re.M)
_SOUND = re.compile(r"(?:^|\s)Sound: (.+?)(?:\.(?:\s|$)|$)", re.M)


@dataclass(frozen=True)
class Line:
    """A spoken line on the clip's clock: who, what, and from when to when (seconds)."""

    speaker: str
    text: str
    start: float
    end: float
    voice: int  # index of the speaker in order of first line


def parse_dialogue(prompt: str) -> list[tuple[str, str, float | None]]:
    """The spoken lines of a rendered prompt as (speaker, words, at), in prompt order.

    Both layouts the prompt renderer writes are read: labelled lines in one paragraph
    (`Dialogue (at 2s): Mia says: "..."`) and OpenAI's `Dialogue:` block of `- ...` items.
    """
    found = [(m.start(), m) for m in _LABELLED.finditer(prompt)]
    if not found and "Dialogue:\n" in prompt:
        block = prompt.split("Dialogue:\n", 1)[1]
        found = [(m.start(), m) for m in _BLOCK.finditer(block)]
    out: list[tuple[str, str, float | None]] = []
    for _, m in sorted(found, key=lambda pair: pair[0]):
        out.append((m[2].strip(), m[3].strip(), float(m[1]) if m[1] else None))
    return out


def parse_sound(prompt: str) -> str | None:
    """The sound cue of a rendered prompt (`Sound: rain on a tarp.`), if it has one."""
    m = _SOUND.search(prompt)
    return m[1].strip() if m else None


def timed_lines(lines: list[tuple[str, str, float | None]], duration_s: float) -> list[Line]:
    """Each line with a start and an end: at its `at`, else spread evenly over the clip;
    it lasts as long as its words take to say, and ends before the next line starts."""
    n = len(lines)
    starts = [at if at is not None else i * duration_s / n for i, (_, _, at) in enumerate(lines)]
    order = sorted(range(n), key=lambda i: starts[i])
    voices: dict[str, int] = {}
    out: list[Line] = []
    for rank, i in enumerate(order):
        speaker, text, _ = lines[i]
        start = min(max(0.0, starts[i]), max(0.0, duration_s - 0.5))
        words = max(1, len(text.split()))
        end = min(duration_s, start + max(1.0, words * _SECONDS_PER_WORD + 0.3))
        if rank + 1 < n:
            end = min(end, max(start + 0.4, starts[order[rank + 1]]))
        voice = voices.setdefault(speaker.lower(), len(voices))
        out.append(Line(speaker, text, start, end, voice))
    return out


def synthesise(
    lines: list[Line], sound: str | None, duration_s: float, seed: int
) -> NDArray[np.int16]:
    """The sound bed as 16-bit stereo samples at RATE: tones for lines, noise for the cue."""
    n = max(1, round(duration_s * RATE))
    t = np.arange(n, dtype=np.float64) / RATE
    mix = np.zeros(n, np.float64)
    rng = np.random.default_rng(seed % 2**32)
    if sound:
        # Brown-ish noise: white noise through two one-pole low-passes, a soft bed like
        # rain or a crowd heard from a distance, breathing slowly so it is not a hiss.
        white = rng.standard_normal(n)
        low = _lowpass(_lowpass(white, 0.06), 0.2)
        low /= max(1e-9, float(np.abs(low).max()))
        swell = 0.75 + 0.25 * np.sin(2 * np.pi * t / 3.1 + rng.uniform(0, 6.28))
        mix += 0.12 * low * swell
    for line in lines:
        a, b = round(line.start * RATE), round(line.end * RATE)
        if b <= a:
            continue
        tt = t[a:b] - line.start
        pitch = _PITCHES[line.voice % len(_PITCHES)]
        # A voice-like tone: the fundamental with two softer harmonics, pulsed at about
        # four syllables a second, with 20 ms fades so a line starts and stops cleanly.
        tone = (
            np.sin(2 * np.pi * pitch * tt)
            + 0.35 * np.sin(4 * np.pi * pitch * tt)
            + 0.15 * np.sin(6 * np.pi * pitch * tt)
        )
        syllables = 0.6 + 0.4 * np.abs(np.sin(np.pi * 4.2 * tt))
        ramp = np.minimum(1.0, np.minimum(tt, tt[-1] - tt) / 0.02)
        mix[a:b] += 0.28 * tone * syllables * ramp
    peak = float(np.abs(mix).max())
    if peak > 0.89:  # never clip, whatever overlaps
        mix *= 0.89 / peak
    mono = np.round(mix * 32767).astype(np.int16)
    return np.stack([mono, mono], axis=1)


def _lowpass(x: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """A one-pole low-pass (y += alpha * (x - y)), vectorised through its impulse response
    truncated where it has decayed below a thousandth."""
    taps = int(np.ceil(np.log(1e-3) / np.log(1 - alpha)))
    kernel = alpha * (1 - alpha) ** np.arange(taps)
    return np.convolve(x, kernel)[: x.size]


def write_wav(path: Path, samples: NDArray[np.int16]) -> Path:
    """Write 16-bit PCM stereo at RATE."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(samples.shape[1] if samples.ndim == 2 else 1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.ascontiguousarray(samples).tobytes())
    return path


__all__ = [
    "RATE",
    "Line",
    "parse_dialogue",
    "parse_sound",
    "synthesise",
    "timed_lines",
    "write_wav",
]
