"""diffusers: open video models (`svd`, `ltx`, `wan`) run in this process through Hugging
Face diffusers.

`submit` loads the model on first use (a missing model is an error before anything runs),
then generates in a background thread, one take at a time per process; `poll` reads the
denoising progress; `fetch` writes the frames as H.264. A job id is `local-<uuid>` and lives
only in this process: after a restart it polls as failed (`lost`), and
`takelab sweep --retry-failed` makes it again.

Money: a local take is charged the seconds it spent generating (not loading, not waiting
for another take) at an hourly rate, and the reservation before it runs is the most
seconds a take may take at that rate; a take past that limit is stopped (prices.py).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import ClassVar

from PIL import Image

from takelab.backends import _diffusers_models as models
from takelab.backends._base import Backend, Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._diffusers_worker import JOBS, JOBS_LOCK, Job, Work, enqueue
from takelab.backends._local_price import (
    GPU_USD_PER_HOUR,
    gpu_usd_per_hour,
    local_max_seconds,
)
from takelab.errors import BackendError, OutputGoneError, UsageError
from takelab.media.io import FrameWriter
from takelab.project.model import ASPECTS

RESOLUTIONS = ("144p", "480p", "540p", "720p")
log = logging.getLogger(__name__)


_WARNED_PROMPT = False


class DiffusersBackend(Backend):
    """Local open video models through Hugging Face diffusers."""

    name: ClassVar[str] = "diffusers"
    default_model: ClassVar[str] = "ltx"
    models: ClassVar[tuple[str, ...]] = tuple(models.MODELS)
    price_note: ClassVar[str] = (
        f"local: measured seconds x ${GPU_USD_PER_HOUR:.2f}/GPU hour (TAKELAB_GPU_USD_PER_HOUR)"
    )
    poll_interval_s: ClassVar[float] = 0.1  # a poll reads memory
    # Takes of one sweep queue for the one device, so a take's wait includes the others'.
    deadline_s: ClassVar[float] = 6 * 3600.0
    runs_locally: ClassVar[bool] = True

    def __init__(self, model: str | None = None) -> None:
        super().__init__(model)
        if self.model not in models.MODELS:
            raise UsageError(
                f"unknown model {self.model!r} for backend diffusers",
                hint=f"choose one of: {', '.join(models.MODELS)}",
            )
        self.local = models.MODELS[self.model]

    def gpus_per_take(self) -> float:
        """One GPU when the model runs on CUDA, else none."""
        return 1.0 if models.device().startswith("cuda") else 0.0

    def check_ready(self) -> None:
        """PyTorch and diffusers installed, and every TAKELAB_* setting readable."""
        models.import_stack()
        gpu_usd_per_hour()
        local_max_seconds()
        models.steps(self.local)
        self.local.dtype(models.device())

    def capabilities(self) -> Capabilities:
        m = self.local
        return Capabilities(
            durations=None,
            min_duration_s=1.0,
            max_duration_s=m.max_duration_s,
            aspects=ASPECTS,
            resolutions=RESOLUTIONS,
            seed=True,
            image_input=m.image_input,
            image_required=m.image_input,
            audio=False,
        )

    def price(self, request: TakeRequest) -> float:
        """The most a take can be charged: the hourly rate for TAKELAB_DIFFUSERS_MAX_S."""
        return gpu_usd_per_hour() * local_max_seconds() / 3600.0

    def submit(self, request: TakeRequest) -> str:
        """Load the model (first time only) and start generating in a background thread."""
        problems = self.capabilities().problems(request)
        if problems:
            raise BackendError(self.name, "; ".join(problems), hint="see `takelab backends`")
        image = self._first_frame(request)
        loaded = models.load(self.local)
        try:
            shape = self.local.shape(loaded.pipe, request)
            kwargs = self.local.call_kwargs(request, shape, image)
        except Exception as exc:  # nothing has run yet: the take is not sent, not uncertain
            raise BackendError(
                self.name, f"cannot set up the take: {type(exc).__name__}: {exc}"
            ) from exc
        job = Job(
            id=f"local-{uuid.uuid4().hex}",
            label=f"{self.spec} {request.take_id[:8]}",
            shape=shape,
            usd_per_hour=gpu_usd_per_hour(),
            max_s=local_max_seconds(),
        )
        with JOBS_LOCK:
            JOBS[job.id] = job
        enqueue(Work(job, loaded, kwargs, request.seed))
        return job.id

    def _first_frame(self, request: TakeRequest) -> Image.Image | None:
        if not self.local.image_input:
            return None
        if not request.image_path:
            raise BackendError(
                self.name,
                f"{self.model} animates a first frame and none was given",
                hint="add `image:` to the variant",
            )
        global _WARNED_PROMPT
        if not _WARNED_PROMPT:
            _WARNED_PROMPT = True
            log.warning("%s animates the first frame alone: prompts are not used", self.spec)
        path = Path(request.image_path)
        try:
            with Image.open(path) as im:
                rgb: Image.Image = im.convert("RGB")
        except OSError as exc:
            raise BackendError(
                self.name, f"cannot read the first-frame image {path}: {exc}"
            ) from exc
        return rgb

    def poll(self, job_id: str) -> JobStatus:
        job = JOBS.get(job_id)
        if job is None:
            return JobStatus(
                state=JobState.FAILED,
                progress=None,
                error_code="lost",
                error_message=(
                    f"job {job_id} ran in a process that has ended, and its frames with it; "
                    "rerun the sweep with --retry-failed to generate the take again"
                ),
                cost_usd=None,
            )
        return JobStatus(
            state=job.state,
            progress=job.progress,
            error_code=job.error_code,
            error_message=job.error_message,
            cost_usd=job.cost_usd if job.state.terminal else None,
        )

    def fetch(self, job_id: str, dest: Path) -> Path:
        """Write the take's frames to `dest` as H.264 (yuv420p) at its size and frame rate."""
        job = JOBS.get(job_id)
        if job is None or job.state is not JobState.SUCCEEDED:
            raise BackendError(
                self.name, f"job {job_id} has no frames", hint="rerun with --retry-failed"
            )
        frames = job.frames
        if frames is None:
            raise OutputGoneError(self.name, job_id, "its frames were written once and freed")
        shape = job.shape
        with FrameWriter(dest, shape.width, shape.height, shape.fps) as writer:
            for frame in frames:
                writer.write(frame)
        job.frames = None  # a take's frames can be hundreds of MB: keep only the file
        return Path(dest)

    def generation_seconds(self, job_id: str) -> float | None:
        """Seconds the job spent generating in this process: what it is charged for."""
        job = JOBS.get(job_id)
        return job.seconds if job is not None else None


__all__ = ["RESOLUTIONS", "DiffusersBackend"]
