"""Writing a video file: raw RGB frames through an ffmpeg process to H.264 MP4.

Every encode uses the same deterministic settings, so the same frames give the same bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
from numpy.typing import NDArray

from takelab.errors import VideoError
from takelab.media.probe import ffmpeg_exe

# Fixed encoder settings: a fixed thread count and preset keep the bytes identical for
# identical frames on any machine; faststart lets a browser play the file while it loads.
# superfast rather than veryfast: on a 2-core machine veryfast alone needs ~2.5-3.3 CPU s
# for 8 s of 720p animatic, too much for 4x real time; superfast needs ~2, files are larger.
X264_PRESET = "superfast"
X264_CRF = 23
X264_THREADS = 2
# Browsers assume BT.709 for HD video: convert to it and tag the stream so.
BT709_ARGS: tuple[str, ...] = (
    "-vf",
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
)
AAC_BITRATE = "160k"  # stereo AAC, transparent enough for dialogue and ambience
_PIPE_SIZE = 1 << 20


def encode_command(
    dest: str | Path, width: int, height: int, fps: float, audio: str | Path | None = None
) -> list[str]:
    """The ffmpeg command that FrameWriter runs: raw RGB24 on stdin to H.264 MP4 at `dest`,
    with `audio` (a WAV file) muxed in as AAC when given."""
    sound: list[str] = ["-an"]
    if audio is not None:
        sound = [
            "-i",
            str(audio),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:a",
            "aac",
            "-b:a",
            AAC_BITRATE,
            "-flags:a",
            "+bitexact",
        ]
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        f"{fps:g}",
        "-i",
        "pipe:0",
        *sound,
        *BT709_ARGS,
        "-c:v",
        "libx264",
        "-preset",
        X264_PRESET,
        "-crf",
        str(X264_CRF),
        "-threads",
        str(X264_THREADS),
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(dest),
    ]


def widen_pipe(stream: IO[bytes]) -> None:
    """Enlarge a pipe's buffer so a frame goes across in few system calls (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


class FrameWriter:
    """Encode RGB frames (uint8, height x width x 3) to H.264 MP4 in an ffmpeg process,
    with a sound track from a WAV file when `audio` is given.

    ffmpeg encodes while the caller renders the next frame. Same frames give the same
    bytes. On an exception inside the `with` block ffmpeg is killed and `dest` removed.
    """

    def __init__(
        self,
        dest: str | Path,
        width: int,
        height: int,
        fps: float,
        *,
        audio: str | Path | None = None,
    ) -> None:
        self.dest = Path(dest)
        self.audio = audio
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise VideoError(
                self.dest,
                f"width and height must be positive and even for yuv420p, got {width}x{height}",
            )
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_written = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> FrameWriter:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = tempfile.TemporaryFile()
        cmd = encode_command(self.dest, self.width, self.height, self.fps, self.audio)
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
            )
        except OSError as exc:
            self._cleanup()
            raise VideoError(
                self.dest, f"cannot start ffmpeg ({exc})", hint="pip install imageio-ffmpeg"
            ) from exc
        assert self._proc.stdin is not None
        widen_pipe(self._proc.stdin)
        return self

    def write(self, frame: NDArray[np.uint8]) -> None:
        """Send one frame; blocks only while ffmpeg's queue is full."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise RuntimeError("FrameWriter.write outside its `with` block")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"expected a uint8 frame of shape {(self.height, self.width, 3)}, "
                f"got {frame.dtype} {frame.shape}"
            )
        try:
            proc.stdin.write(np.ascontiguousarray(frame).data)
        except (BrokenPipeError, OSError) as exc:
            proc.wait()
            raise VideoError(self.dest, f"ffmpeg stopped: {self._stderr_tail()}") from exc
        self.frames_written += 1

    def _stderr_tail(self, limit: int = 1500) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return text[-limit:] or "no message"

    def close(self) -> Path:
        """Finish the file and wait for ffmpeg; raises VideoError if it failed."""
        proc = self._proc
        if proc is None:
            return self.dest
        try:
            if proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            rc = proc.wait()
            if rc != 0 or not self.frames_written:
                self._remove_partial()
                why = self._stderr_tail() if rc else "no frames were written"
                raise VideoError(self.dest, f"ffmpeg failed (exit {rc}): {why}")
        finally:
            self._cleanup()
        return self.dest

    def abort(self) -> None:
        """Kill ffmpeg and delete the partial file."""
        proc = self._proc
        if proc is not None:
            proc.kill()
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            proc.wait()
        self._cleanup()
        self._remove_partial()

    def _remove_partial(self) -> None:
        if self.dest.is_file():
            self.dest.unlink()

    def _cleanup(self) -> None:
        self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --- previews -------------------------------------------------------------------------
