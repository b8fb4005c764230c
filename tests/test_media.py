"""Video I/O: probing and checking files, FrameWriter, previews."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from takelab.errors import VideoError
from takelab.media import io as media


def frames(count: int, width: int = 256, height: int = 144) -> list[np.ndarray]:
    """A moving bar over a gradient: enough structure for the encoder to do real work."""
    out = []
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :]
    for i in range(count):
        f = np.zeros((height, width, 3), np.uint8)
        f[..., 0] = ramp.astype(np.uint8)
        f[..., 2] = 90
        x = (i * 7) % (width - 20)
        f[20:-20, x : x + 20] = (250, 250, 40)
        out.append(f)
    return out


def write(dest: Path, count: int = 24, width: int = 256, height: int = 144) -> Path:
    with media.FrameWriter(dest, width, height, 24) as writer:
        for f in frames(count, width, height):
            writer.write(f)
    return dest


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("media") / "clip.mp4", count=48)


def test_probe_reads_format(clip: Path) -> None:
    info = media.probe(clip)
    assert (info.width, info.height, info.frames) == (256, 144, 48)
    assert info.fps == pytest.approx(24)
    assert info.duration_s == pytest.approx(2.0, abs=1 / 24)
    assert (info.codec, info.pix_fmt, info.has_audio) == ("h264", "yuv420p", False)


def test_check_decodes_counts_every_frame(clip: Path) -> None:
    assert media.check_decodes(clip).frames == 48


def test_frame_writer_is_deterministic(tmp_path: Path) -> None:
    a = write(tmp_path / "a.mp4").read_bytes()
    b = write(tmp_path / "b.mp4").read_bytes()
    assert a == b
    with media.FrameWriter(tmp_path / "c.mp4", 256, 144, 24) as writer:
        for f in frames(24):
            writer.write(255 - f)
    assert (tmp_path / "c.mp4").read_bytes() != a


def test_frame_writer_removes_partial_file_on_error(tmp_path: Path) -> None:
    dest = tmp_path / "partial.mp4"
    with (
        pytest.raises(RuntimeError, match="render failed"),
        media.FrameWriter(dest, 256, 144, 24) as writer,
    ):
        for f in frames(12):
            writer.write(f)
        raise RuntimeError("render failed")
    assert not dest.exists()


def test_frame_writer_rejects_bad_frames_and_sizes(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="even"):
        media.FrameWriter(tmp_path / "odd.mp4", 255, 144, 24)
    writer = media.FrameWriter(tmp_path / "x.mp4", 256, 144, 24)
    with pytest.raises(ValueError, match="shape"), writer:
        writer.write(np.zeros((144, 200, 3), np.uint8))
    assert not (tmp_path / "x.mp4").exists()


def test_frame_writer_reports_ffmpeg_failure(tmp_path: Path) -> None:
    target = tmp_path / "is-a-directory"
    target.mkdir()
    writer = media.FrameWriter(target, 256, 144, 24)
    with pytest.raises(VideoError, match="ffmpeg"), writer:
        for f in frames(48):
            writer.write(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not found") as err:
        media.probe(tmp_path / "nope.mp4")
    assert err.value.path == tmp_path / "nope.mp4"


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty") as err:
        media.check_decodes(tmp_path / "empty.mp4")
    assert err.value.hint


def test_text_file(tmp_path: Path) -> None:
    (tmp_path / "error.mp4").write_text('{"error": "quota exceeded"}')
    with pytest.raises(VideoError, match="not a video"):
        media.probe(tmp_path / "error.mp4")


def test_truncated_file(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="truncated"):
        media.probe(cut)
    with pytest.raises(VideoError):
        media.check_decodes(cut)


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    dest = tmp_path / "sound.m4a"
    cmd = [media.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc", "-t", "0.3"]
    subprocess.run([*cmd, str(dest)], check=True)
    with pytest.raises(VideoError, match="no video stream"):
        media.probe(dest)


def test_make_previews_single_pass(clip: Path, tmp_path: Path) -> None:
    gif, sheet = tmp_path / "p" / "preview.gif", tmp_path / "p" / "sheet.png"
    info = media.make_previews(clip, gif, sheet)
    assert info.frames == 48
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.is_animated
        assert im.n_frames == 16  # 2 s at 8 fps
        assert im.size == (320, 180)
        assert im.info.get("loop") == 0
    with Image.open(sheet) as im:
        assert im.format == "PNG"
        assert im.size == (4 * 320, 3 * 180)
        tiles = np.asarray(im.convert("RGB"))
    # Tiles are evenly spaced frames: the moving bar is elsewhere in the first and last.
    first, last = tiles[:180, :320], tiles[360:, 960:]
    assert np.abs(first.astype(int) - last).mean() > 5


def test_preview_gif_caps_frames_and_contact_sheet_grid(clip: Path, tmp_path: Path) -> None:
    gif = media.make_preview_gif(clip, tmp_path / "g.gif", width=160, fps=24, max_frames=10)
    with Image.open(gif) as im:
        assert (im.n_frames, im.size) == (10, (160, 90))
    sheet = media.make_contact_sheet(clip, tmp_path / "s.png", columns=3, rows=2, tile_width=100)
    with Image.open(sheet) as im:
        assert im.size == (300, 2 * 56)


def test_previews_of_a_broken_file_raise_video_error(tmp_path: Path) -> None:
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoError):
        media.make_previews(tmp_path / "bad.mp4", tmp_path / "a.gif", tmp_path / "b.png")
    assert not (tmp_path / "a.gif").exists()
