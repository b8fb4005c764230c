"""A finished job's video brought into the store: fetched into a scratch folder, checked
to decode, measured, previewed, and moved into `takes/<take id>/` in one rename."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from takelab.backends import Backend
from takelab.home import Home
from takelab.journal.store import TakeRecord
from takelab.media import io as media
from takelab.media.probe import file_sha256
from takelab.tracking.names import request_json


@dataclass
class Landed:
    """A take's file in place, with its checksum and automatic quality."""

    path: Path
    sha256: str
    metrics: dict[str, float]
    flags: list[str]


# Quality numbers as MLflow metric names (the video's own size and length are prefixed so
# they never read as the requested `duration_s` param).
QUALITY_NAMES = {
    "duration_s": "video_duration_s",
    "fps": "video_fps",
    "width": "video_width",
    "height": "video_height",
    "frames": "video_frames",
}


def quality(video: Path, record: TakeRecord) -> tuple[dict[str, float], list[str]]:
    from takelab.media.audio_quality import measure_audio
    from takelab.media.quality import Expected, measure
    from takelab.project.model import frame_size

    req = record.request
    width, height = frame_size(req.aspect, req.resolution)
    q = measure(video, Expected(duration_s=req.duration_s, width=width, height=height))
    metrics = {QUALITY_NAMES.get(k, k): v for k, v in q.metrics().items()}
    # Sound is measured beside the picture; `silent` only where the take asked for sound.
    sound = measure_audio(video, asked=req.audio)
    metrics.update(sound.metrics())
    return metrics, [*q.flags, *sound.flags]


def land(backend: Backend, job_id: str, record: TakeRecord, home: Home) -> Landed:
    """Fetch into a scratch folder, check it decodes, add previews, then move into place."""
    final = home.take_dir(record.take_id)
    scratch = home.tmp / f"{record.take_id}.{threading.get_ident()}.part"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        video = backend.fetch(job_id, scratch / "take.mp4")
        media.check_decodes(video)
        metrics, flags = quality(video, record)
        media.make_previews(video, scratch / "preview.gif", scratch / "contact_sheet.png")
        (scratch / "request.json").write_text(request_json(record) + "\n")
        (scratch / "prompt.txt").write_text(record.request.prompt + "\n")
        sha = file_sha256(video)
        if final.exists():
            shutil.rmtree(final)
        scratch.rename(final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Landed(final / "take.mp4", sha, metrics, flags)
