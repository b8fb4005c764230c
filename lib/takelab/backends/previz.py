"""previz: the built-in offline renderer that turns a take request into a rough animatic.

Background and light come from the lighting text (and its change over time), subjects are
labelled shapes moving as the action says, the camera move is applied to the whole scene,
and a caption names the shot (the drawing is in _previz_animatic.py). It costs nothing,
needs no key, and the same request always gives the same bytes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from takelab.backends._base import Backend, Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._previz_animatic import Animatic
from takelab.backends._previz_scene import (
    FPS,
    CameraMove,
    Light,
    Motion,
    Subject,
    parse_camera,
    parse_light,
    parse_motion,
    parse_subject,
    scene_fields,
)
from takelab.backends._previz_sound import write_wav
from takelab.backends._previz_sprites import _wrap
from takelab.errors import BackendError
from takelab.home import Home
from takelab.media.io import FrameWriter
from takelab.project.model import ASPECTS, RESOLUTIONS


def render(
    request: TakeRequest, dest: Path, progress: Callable[[float], None] | None = None
) -> Path:
    """Render the take's animatic to `dest` (H.264 MP4, yuv420p, 24 fps, with an AAC sound
    bed when the take has sound) and return it."""
    animatic = Animatic(request)
    wav = None
    if animatic.has_sound:
        dest.parent.mkdir(parents=True, exist_ok=True)
        wav = write_wav(dest.with_name(dest.name + ".wav"), animatic.sound_bed())
    try:
        with FrameWriter(dest, animatic.width, animatic.height, FPS, audio=wav) as writer:
            for i in range(animatic.frames):
                writer.write(animatic.render_frame(i))
                if progress is not None:
                    progress((i + 1) / animatic.frames)
    finally:
        if wav is not None:
            wav.unlink(missing_ok=True)
    return dest


class PrevizBackend(Backend):
    """The built-in, offline, free animatic renderer."""

    name = "previz"
    default_model = "animatic"
    models = ("animatic",)
    price_note = "free: rendered locally, offline"
    poll_interval_s = 0.0
    runs_locally = True  # renders in the calling process: no job to resume elsewhere

    def capabilities(self) -> Capabilities:
        from takelab.backends.models import with_features

        return with_features(self.name, self.model, self._sizes())

    @staticmethod
    def _sizes() -> Capabilities:
        return Capabilities(
            durations=None,
            min_duration_s=1.0,
            max_duration_s=60.0,
            aspects=ASPECTS,
            resolutions=RESOLUTIONS,
            seed=True,
            image_input=True,
            audio=False,
        )

    def price(self, request: TakeRequest) -> float:
        return 0.0

    @staticmethod
    def _path(job_id: str) -> Path:
        return Home.from_env().tmp / "previz" / f"{job_id}.mp4"

    def submit(self, request: TakeRequest) -> str:
        """Render now (synchronously); the job is finished when this returns."""
        problems = self.capabilities().problems(request)
        if problems:
            raise BackendError(self.name, "; ".join(problems), hint="see `takelab backends`")
        job_id = f"previz-{request.take_id}"
        final = self._path(job_id)
        part = final.with_name(final.name + ".part")
        render(request, part)
        part.replace(final)
        return job_id

    def discard(self, request: TakeRequest) -> None:
        """The half-rendered file (and a finished one never fetched) of a killed take."""
        final = self._path(f"previz-{request.take_id}")
        final.with_name(final.name + ".part").unlink(missing_ok=True)
        final.unlink(missing_ok=True)

    def poll(self, job_id: str) -> JobStatus:
        if self._path(job_id).exists():
            return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=0.0)
        return JobStatus(
            state=JobState.FAILED,
            progress=None,
            error_code="lost",
            error_message=f"the rendered file for {job_id} is gone; rerun the take",
            cost_usd=None,
        )

    def fetch(self, job_id: str, dest: Path) -> Path:
        src = self._path(job_id)
        if not src.exists():
            raise BackendError(
                self.name, f"job {job_id} has no rendered file", hint="rerun the take"
            )
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dest))
        return dest


__all__ = [
    "FPS",
    "Animatic",
    "CameraMove",
    "Light",
    "Motion",
    "PrevizBackend",
    "Subject",
    "_wrap",
    "parse_camera",
    "parse_light",
    "parse_motion",
    "parse_subject",
    "render",
    "scene_fields",
]
