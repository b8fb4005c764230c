"""Runway's extend route: `video_to_video` with `mode: "extend"` (runwayml 5.24).

Of the models runwayml 5.24 lists, `gemini_omni_flash_1.1` continues a clip through
`video_to_video` (`mode` reference, extend or edit; `duration` is the footage added, 3-10
s) and also makes video from text; `seedance2_5` extends too but only from a hosted or
uploaded video with no ratio, so it is not mapped. The parent take's file goes inline as a
base64 data URI, which Runway accepts up to 5 MB.

No price is mapped: Runway bills the model in credits per second, but no figure for it
could be cited (its API reference as read for prices.py lists the Gen-4 and Veo models
only), so prices.py names it unpriced and estimates and sweeps refuse it before any
create rather than guess. The mapping is tested directly against the fake.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from takelab.backends._base import Capabilities, TakeRequest
from takelab.errors import UsageError

VIDEO_URI_LIMIT = 5 * 1024 * 1024  # "base64 data URI ... up to 5MB"
OMNI = "gemini_omni_flash_1.1"
# (aspect, resolution) -> ratio, from the SDK's Literal for this model.
OMNI_RATIOS = {
    ("16:9", "720p"): "1280:720",
    ("9:16", "720p"): "720:1280",
    ("16:9", "1080p"): "1920:1080",
    ("9:16", "1080p"): "1080:1920",
}
# Sizes of the models that extend; what they do beyond sizes comes from the model table.
SIZES: dict[str, Capabilities] = {
    OMNI: Capabilities(
        min_duration_s=3.0,
        max_duration_s=10.0,
        durations=tuple(float(s) for s in range(3, 11)),
        resolutions=("720p", "1080p"),
        seed=False,
    ),
}
NO_SEED = set(SIZES)  # their create calls take no seed


def extend_args(request: TakeRequest) -> tuple[str, dict[str, Any]]:
    """The `video_to_video` arguments that continue the parent take's clip."""
    if request.model not in SIZES:
        raise UsageError(
            f"runway:{request.model} cannot extend a take",
            hint=f"use runway:{OMNI}, or remove extend: from the variant",
        )
    if not request.extend_path:
        raise UsageError(f"take {request.extend} has no video file to continue")
    return "video_to_video", {
        "model": request.model,
        "prompt_text": request.prompt,
        "video_uri": video_data_uri(Path(request.extend_path)),
        "mode": "extend",
        "duration": round(request.duration_s),  # the footage added
        "ratio": ratio(request),
    }


def ratio(request: TakeRequest) -> str:
    """Runway's `ratio` for this model's aspect and resolution."""
    found = OMNI_RATIOS.get((request.aspect, request.resolution))
    if found is None:
        raise UsageError(
            f"runway:{request.model} has no {request.aspect} output at {request.resolution}",
            hint="16:9 or 9:16 at 720p or 1080p",
        )
    return found


def video_data_uri(path: Path) -> str:
    """The parent clip as the data URI Runway accepts (up to 5 MB encoded)."""
    uri = "data:video/mp4;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    if len(uri) > VIDEO_URI_LIMIT:
        raise UsageError(
            f"{path.name} is too large to send inline ({len(uri) / 1e6:.1f} MB encoded,"
            " Runway's limit 5 MB)",
            hint="extend a shorter or smaller take",
        )
    return uri
