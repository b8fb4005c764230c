"""Reading a video file: its format (`probe`), whether it decodes end to end, whether it has sound.

A bad file is reported the same way everywhere: a VideoError naming the file and what to do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream
from pydantic import BaseModel

from takelab.errors import VideoError

REGENERATE = "generate the take again"


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg (built with libx264)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


class VideoInfo(BaseModel):
    """What a video file holds, as read from its container."""

    duration_s: float
    fps: float
    width: int
    height: int
    frames: int
    codec: str
    pix_fmt: str
    has_audio: bool


def open_input(path: Path) -> InputContainer:
    """`av.open` with the checks that come before it, as VideoErrors."""
    if not path.exists():
        raise VideoError(path, "file not found", hint="check the path, or fetch the take again")
    if path.is_dir():
        raise VideoError(path, "is a directory, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(
            path, "file is empty (0 bytes)", hint=f"the download was interrupted; {REGENERATE}"
        )
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        raise VideoError(
            path,
            f"not a video file ffmpeg can read ({exc.strerror or exc})",
            hint=f"the file may be an error page or an incomplete download; {REGENERATE}",
        ) from exc


def video_stream(path: Path, container: InputContainer) -> VideoStream:
    """The first video stream of an open container, or a VideoError."""
    if not container.streams.video:
        raise VideoError(path, "has no video stream", hint="pass a video file, not audio or data")
    return container.streams.video[0]


def probe(path: str | Path) -> VideoInfo:
    """Read a video's format. Every packet is read (not decoded) to catch a cut-off file,
    and the first frame is decoded."""
    path = Path(path)
    with open_input(path) as container:
        stream = video_stream(path, container)
        ctx = stream.codec_context
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / 1_000_000
        expected = int(stream.frames or 0)
        packets = 0
        decoded_first = False
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                packets += 1
                if not decoded_first:
                    decoded_first = bool(packet.decode())
            if packets and not decoded_first:
                decoded_first = bool(ctx.decode(None))  # flush: a very short clip
        except av.FFmpegError as exc:
            raise undecodable(path, f"packet {packets}", exc) from exc
        if packets == 0:
            raise VideoError(path, "has a video stream with no frames", hint=REGENERATE)
        if not decoded_first:
            raise VideoError(path, "has no frame that decodes", hint=REGENERATE)
        if expected and packets < expected:
            raise VideoError(
                path,
                f"is truncated: {packets} of {expected} frames are in the file",
                hint=f"the download or render was cut off; {REGENERATE}",
            )
        frames = expected or packets
        if not duration and fps:
            duration = frames / fps
        return VideoInfo(
            duration_s=duration,
            fps=fps,
            width=int(ctx.width),
            height=int(ctx.height),
            frames=frames,
            codec=str(ctx.name),
            pix_fmt=str(ctx.pix_fmt or ""),
            has_audio=bool(container.streams.audio),
        )


def has_audio(path: str | Path) -> bool:
    """Whether a media file has a sound track: only the container's header is read, so
    it is cheap enough for every player and timeline clip (False if it cannot be read)."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError):
        return False


def undecodable(path: Path, where: str, exc: Exception) -> VideoError:
    """The VideoError for a file that stops decoding at `where` (a packet or frame)."""
    return VideoError(
        path,
        f"does not decode at {where} ({getattr(exc, 'strerror', None) or exc})",
        hint=f"the file is damaged or cut off; {REGENERATE}",
    )


def check_decodes(path: str | Path) -> VideoInfo:
    """Decode every frame (without converting it) and check the count matches the header."""
    path = Path(path)
    info = probe(path)
    count = 0
    with open_input(path) as container:
        stream = video_stream(path, container)
        stream.thread_type = "AUTO"
        try:
            for _ in container.decode(stream):
                count += 1
        except av.FFmpegError as exc:
            raise undecodable(path, f"frame {count}", exc) from exc
    if count != info.frames:
        raise VideoError(
            path,
            f"decodes to {count} frames but its header says {info.frames}",
            hint=f"the file is damaged or cut off; {REGENERATE}",
        )
    return info


__all__ = [
    "REGENERATE",
    "VideoInfo",
    "check_decodes",
    "ffmpeg_exe",
    "has_audio",
    "open_input",
    "probe",
    "undecodable",
    "video_stream",
]


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (a take's video, an input image)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
