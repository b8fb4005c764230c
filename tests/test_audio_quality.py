"""audio_quality: loudness, silence and the `silent`/`clipping` flags on generated tones and
silence (real WAV and MP4 files made with numpy and ffmpeg), in `takelab qa` and on takes."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from takelab.backends import TakeRequest
from takelab.cli import main
from takelab.media.audio_quality import AudioQuality, loudness, measure_audio
from takelab.media.io import ffmpeg_exe

RATE = 48_000


def tone(seconds: float, peak: float, hz: float = 997.0) -> np.ndarray:
    """A stereo sine at `peak` (1.0 = full scale); above 1 it is hard-clipped."""
    t = np.arange(round(seconds * RATE)) / RATE
    mono = np.clip(peak * np.sin(2 * np.pi * hz * t), -1.0, 1.0)
    return np.stack([mono, mono], axis=1)


def wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.round(samples * 32767).astype(np.int16).tobytes())
    return path


def mp4(path: Path, samples: np.ndarray | None, seconds: float = 2.0) -> Path:
    """A small H.264 clip with `samples` as its AAC sound track (none if None)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    cmd += ["-i", f"testsrc=size=160x90:rate=24:duration={seconds}"]
    if samples is not None:
        cmd += ["-i", str(wav(path.with_suffix(".wav"), samples)), "-c:a", "aac", "-b:a", "160k"]
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return path


def test_tone_loudness_matches_its_level(tmp_path: Path) -> None:
    # A 1 kHz sine in both channels at -20 dBFS peak reads -20 LUFS (EBU Tech 3341).
    lufs, peak = loudness(wav(tmp_path / "t.wav", tone(3.0, 0.1)))
    assert lufs == pytest.approx(-20.0, abs=0.5)
    assert peak == pytest.approx(-20.0, abs=0.5)
    q = measure_audio(mp4(tmp_path / "t.mp4", tone(2.0, 0.1)), asked=True)
    assert q.has_audio and q.flags == []
    assert q.loudness_lufs == pytest.approx(-20.0, abs=1.0)
    assert q.silence_ratio is not None and q.silence_ratio < 0.05
    assert q.metrics()["audio_present"] == 1.0
    assert "LUFS" in q.summary()


def test_louder_tone_reads_louder(tmp_path: Path) -> None:
    quiet = measure_audio(wav(tmp_path / "q.wav", tone(2.0, 0.05)))
    loud = measure_audio(wav(tmp_path / "l.wav", tone(2.0, 0.4)))
    assert quiet.loudness_lufs is not None and loud.loudness_lufs is not None
    assert loud.loudness_lufs - quiet.loudness_lufs == pytest.approx(18.06, abs=0.5)


def test_silence_share(tmp_path: Path) -> None:
    half = np.concatenate([tone(1.0, 0.2), np.zeros((RATE, 2))])
    q = measure_audio(mp4(tmp_path / "h.mp4", half))
    assert q.silence_ratio == pytest.approx(0.5, abs=0.06)
    assert q.flags == []


def test_silent_track_flags_silent_only_when_sound_was_asked(tmp_path: Path) -> None:
    clip = mp4(tmp_path / "s.mp4", np.zeros((2 * RATE, 2)))
    asked = measure_audio(clip, asked=True)
    assert asked.has_audio and asked.flags == ["silent"]
    assert asked.loudness_lufs is None and asked.silence_ratio == 1.0
    assert measure_audio(clip).flags == []
    assert measure_audio(clip, asked=False).flags == []


def test_no_track_flags_silent_when_asked(tmp_path: Path) -> None:
    clip = mp4(tmp_path / "n.mp4", None)
    q = measure_audio(clip, asked=True)
    assert not q.has_audio and q.flags == ["silent"]
    assert q.metrics() == {"audio_present": 0.0}
    assert q.summary() == "none"
    assert measure_audio(clip, asked=False).flags == []


def test_clipping(tmp_path: Path) -> None:
    q = measure_audio(mp4(tmp_path / "c.mp4", tone(2.0, 3.0)), asked=True)
    assert "clipping" in q.flags and "silent" not in q.flags
    assert measure_audio(mp4(tmp_path / "ok.mp4", tone(2.0, 0.5))).flags == []


def test_qa_shows_sound_and_its_flags(tmp_path: Path) -> None:
    clip = mp4(tmp_path / "n.mp4", None)
    talk = mp4(tmp_path / "t.mp4", tone(2.0, 0.1))
    result = CliRunner().invoke(main, ["qa", "--audio", str(clip), str(talk)])
    assert result.exit_code == 0, result.output
    assert "silent" in result.output and "LUFS" in result.output
    result = CliRunner().invoke(main, ["qa", "--format", "json", str(talk)])
    row = json.loads(result.output)[0]
    assert row["audio"]["has_audio"] is True
    assert row["audio"]["loudness_lufs"] == pytest.approx(-20.0, abs=1.0)
    AudioQuality.model_validate(row["audio"])


def test_take_metrics_carry_sound(tmp_path: Path) -> None:
    from takelab.sweep.landing import quality as _quality

    req = TakeRequest(
        project="p",
        shot="s",
        variant="v",
        prompt="x",
        backend="previz",
        model="animatic",
        duration_s=2.0,
        aspect="16:9",
        resolution="480p",
        seed=1,
        audio=True,
    )
    clip = mp4(tmp_path / "n.mp4", None)
    metrics, flags = _quality(clip, SimpleNamespace(request=req))  # type: ignore[arg-type]
    assert metrics["audio_present"] == 0.0 and "silent" in flags
