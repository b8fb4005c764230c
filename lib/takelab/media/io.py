"""Video I/O: probing and checking files, encoding frames through ffmpeg, and previews.

Everything that reads or writes a video goes through here, so a bad file is reported the
same way everywhere (a VideoError naming the file and what to do) and every encode uses
the same deterministic H.264 settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import av
import numpy as np
from av.container import InputContainer
from av.video.stream import VideoStream
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel

from takelab.errors import VideoError

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
_REGENERATE = "generate the take again"


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


def _open_input(path: Path) -> InputContainer:
    """`av.open` with the checks that come before it, as VideoErrors."""
    if not path.exists():
        raise VideoError(path, "file not found", hint="check the path, or fetch the take again")
    if path.is_dir():
        raise VideoError(path, "is a directory, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(
            path, "file is empty (0 bytes)", hint=f"the download was interrupted; {_REGENERATE}"
        )
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        raise VideoError(
            path,
            f"not a video file ffmpeg can read ({exc.strerror or exc})",
            hint=f"the file may be an error page or an incomplete download; {_REGENERATE}",
        ) from exc


def _video_stream(path: Path, container: InputContainer) -> VideoStream:
    if not container.streams.video:
        raise VideoError(path, "has no video stream", hint="pass a video file, not audio or data")
    return container.streams.video[0]


def probe(path: str | Path) -> VideoInfo:
    """Read a video's format. Every packet is read (not decoded) to catch a cut-off file,
    and the first frame is decoded."""
    path = Path(path)
    with _open_input(path) as container:
        stream = _video_stream(path, container)
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
            raise _undecodable(path, f"packet {packets}", exc) from exc
        if packets == 0:
            raise VideoError(path, "has a video stream with no frames", hint=_REGENERATE)
        if not decoded_first:
            raise VideoError(path, "has no frame that decodes", hint=_REGENERATE)
        if expected and packets < expected:
            raise VideoError(
                path,
                f"is truncated: {packets} of {expected} frames are in the file",
                hint=f"the download or render was cut off; {_REGENERATE}",
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


def _undecodable(path: Path, where: str, exc: Exception) -> VideoError:
    return VideoError(
        path,
        f"does not decode at {where} ({getattr(exc, 'strerror', None) or exc})",
        hint=f"the file is damaged or cut off; {_REGENERATE}",
    )


def check_decodes(path: str | Path) -> VideoInfo:
    """Decode every frame (without converting it) and check the count matches the header."""
    path = Path(path)
    info = probe(path)
    count = 0
    with _open_input(path) as container:
        stream = _video_stream(path, container)
        stream.thread_type = "AUTO"
        try:
            for _ in container.decode(stream):
                count += 1
        except av.FFmpegError as exc:
            raise _undecodable(path, f"frame {count}", exc) from exc
    if count != info.frames:
        raise VideoError(
            path,
            f"decodes to {count} frames but its header says {info.frames}",
            hint=f"the file is damaged or cut off; {_REGENERATE}",
        )
    return info


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


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _spread(count: int, total: int) -> list[int]:
    """`count` frame indices spread evenly over `total` frames (segment centres)."""
    return [min(total - 1, int((i + 0.5) * total / count)) for i in range(count)]


def _timestamp(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60.0)
    return f"{int(minutes)}:{secs:04.1f}"


def _collect(
    video: Path, wanted: dict[int, list[tuple[str, int, int]]]
) -> dict[tuple[str, int], NDArray[np.uint8]]:
    """One decode pass; converts only the wanted frames, each to the sizes asked for."""
    out: dict[tuple[str, int], NDArray[np.uint8]] = {}
    last = max(wanted)
    with _open_input(video) as container:
        stream = _video_stream(video, container)
        stream.thread_type = "AUTO"
        # Previews are a quarter of the size or less, where the deblocking filter makes no
        # visible difference; skipping it takes a fifth off the decode.
        stream.codec_context.options = {"skip_loop_filter": "all"}
        try:
            for index, frame in enumerate(container.decode(stream)):
                for kind, width, height in wanted.get(index, ()):
                    small = frame.to_ndarray(
                        width=width, height=height, format="rgb24", interpolation="AREA"
                    )
                    out[kind, index] = np.asarray(small, np.uint8)
                if index >= last:
                    break
        except av.FFmpegError as exc:
            raise _undecodable(video, f"frame {len(out)}", exc) from exc
    return out


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _save_gif(frames: Sequence[NDArray[np.uint8]], dest: Path, frame_ms: float) -> None:
    # One adaptive (median-cut) palette for the whole clip, from a few frames stacked
    # together: every frame shares the GIF's global colour table, so colours do not jump
    # between frames and Pillow has no per-frame palettes to optimise.
    step = max(1, len(frames) // 4)
    sample = Image.fromarray(np.concatenate(list(frames[::step]), axis=0)).reduce(2)
    palette = sample.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [
        Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames
    ]
    dest.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(
        dest,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(frame_ms)),
        loop=0,
        optimize=False,
    )


def _speaker(draw: ImageDraw.ImageDraw, x: int, y: int, size: int) -> None:
    """A small loudspeaker with two sound waves, size px tall, its top left at (x, y):
    the mark of a take that has sound."""
    u = size / 8
    draw.polygon(
        [(x, y + 3 * u), (x + 2 * u, y + 3 * u), (x + 4.5 * u, y + 0.5 * u),
         (x + 4.5 * u, y + 7.5 * u), (x + 2 * u, y + 5 * u), (x, y + 5 * u)],
        fill="white",
    )  # fmt: skip
    width = max(1, round(u * 0.8))
    for r in (1.6, 3.0):
        box = (x + 4.5 * u - r * u, y + 4 * u - r * u, x + 4.5 * u + r * u, y + 4 * u + r * u)
        draw.arc(box, -45, 45, fill="white", width=width)


def _save_sheet(
    tiles: Sequence[tuple[NDArray[np.uint8], float]],
    dest: Path,
    columns: int,
    rows: int,
    sound: bool = False,
) -> None:
    tile_h, tile_w = tiles[0][0].shape[:2]
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h), (0, 0, 0))
    draw = ImageDraw.Draw(sheet)
    font = _font(max(10, tile_h // 10))
    pad = max(2, tile_h // 40)
    for i, (tile, seconds) in enumerate(tiles):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        sheet.paste(Image.fromarray(tile), (x, y))
        label = _timestamp(seconds)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        box = (x + pad, y + pad)  # top left: burnt-in captions usually sit at the bottom
        text_h = int(bottom - top)
        glyph = text_h + pad if sound else 0  # room for the speaker mark after the time
        draw.rectangle(
            (box[0], box[1], box[0] + right - left + 2 * pad + glyph, box[1] + text_h + 2 * pad),
            fill=(0, 0, 0),
        )
        draw.text((box[0] + pad - left, box[1] + pad - top), label, fill="white", font=font)
        if sound:
            _speaker(draw, box[0] + right - left + 2 * pad, box[1] + pad, text_h)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, format="PNG", compress_level=1)  # zlib's default level costs 3x the time


def make_previews(
    video: str | Path,
    gif_dest: str | Path | None,
    sheet_dest: str | Path | None,
    *,
    width: int = 320,
    fps: float = 8,
    max_frames: int = 48,
    columns: int = 4,
    rows: int = 3,
    tile_width: int = 320,
) -> VideoInfo:
    """An animated GIF and a contact sheet (PNG grid with timestamps, and a speaker mark on
    each tile when the video has a sound track) in one decode pass.

    Either destination may be None to skip it. Returns the video's info.
    """
    video = Path(video)
    info = probe(video)
    total = info.frames
    aspect = info.height / info.width
    wanted: dict[int, list[tuple[str, int, int]]] = {}
    gif_idx: list[int] = []
    sheet_idx: list[int] = []
    if gif_dest is not None:
        count = max(1, min(max_frames, math.ceil(info.duration_s * fps), total))
        gif_idx = _spread(count, total)
        for i in dict.fromkeys(gif_idx):
            wanted.setdefault(i, []).append(("gif", _even(width), _even(width * aspect)))
    if sheet_dest is not None:
        sheet_idx = _spread(columns * rows, total)
        for i in dict.fromkeys(sheet_idx):
            wanted.setdefault(i, []).append(("sheet", tile_width, _even(tile_width * aspect)))
    if not wanted:
        return info
    got = _collect(video, wanted)
    if len(got) < sum(len(v) for v in wanted.values()):
        raise VideoError(video, "ended before all preview frames were decoded", hint=_REGENERATE)
    if gif_dest is not None:
        frame_ms = 1000.0 * info.duration_s / len(gif_idx)
        _save_gif([got["gif", i] for i in gif_idx], Path(gif_dest), frame_ms)
    if sheet_dest is not None:
        rate = info.fps or 1.0
        tiles = [(got["sheet", i], i / rate) for i in sheet_idx]
        _save_sheet(tiles, Path(sheet_dest), columns, rows, sound=info.has_audio)
    return info


def make_preview_gif(
    video: str | Path, dest: str | Path, *, width: int = 320, fps: float = 8, max_frames: int = 48
) -> Path:
    """An animated GIF of the video (loops forever), `width` px wide, at most `max_frames`."""
    make_previews(video, dest, None, width=width, fps=fps, max_frames=max_frames)
    return Path(dest)


def make_contact_sheet(
    video: str | Path, dest: str | Path, *, columns: int = 4, rows: int = 3, tile_width: int = 320
) -> Path:
    """A PNG grid of evenly spaced frames, each labelled with its timestamp (and a speaker
    mark when the video has sound)."""
    make_previews(video, None, dest, columns=columns, rows=rows, tile_width=tile_width)
    return Path(dest)


__all__ = [
    "FrameWriter",
    "VideoInfo",
    "check_decodes",
    "encode_command",
    "ffmpeg_exe",
    "has_audio",
    "make_contact_sheet",
    "make_preview_gif",
    "make_previews",
    "probe",
    "widen_pipe",
]
