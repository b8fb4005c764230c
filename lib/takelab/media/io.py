"""Video I/O in one import: probing and checking files (`probe`), encoding frames through
ffmpeg (`encode`) and previews (`previews`).

Everything that reads or writes a video goes through these, so a bad file is reported the
same way everywhere (a VideoError naming the file and what to do) and every encode uses
the same deterministic H.264 settings. This module only gathers their public names.
"""

from __future__ import annotations

from takelab.media.encode import (
    AAC_BITRATE,
    BT709_ARGS,
    X264_CRF,
    X264_PRESET,
    X264_THREADS,
    FrameWriter,
    encode_command,
    widen_pipe,
)
from takelab.media.previews import make_contact_sheet, make_preview_gif, make_previews
from takelab.media.probe import VideoInfo, check_decodes, ffmpeg_exe, has_audio, probe

__all__ = [
    "AAC_BITRATE",
    "BT709_ARGS",
    "X264_CRF",
    "X264_PRESET",
    "X264_THREADS",
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
