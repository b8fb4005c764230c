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
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from takelab.backends import _diffusers_models as models
from takelab.backends._base import Backend, Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends.prices import (
    GPU_USD_PER_HOUR,
    LOCAL_MAX_S_ENV,
    gpu_usd_per_hour,
    local_max_seconds,
)
from takelab.errors import BackendError, OutputGoneError, UsageError
from takelab.media.io import FrameWriter
from takelab.project.model import ASPECTS

RESOLUTIONS = ("144p", "480p", "540p", "720p")
log = logging.getLogger(__name__)


class _TooSlow(Exception):
    """Raised from the step callback to stop a take past TAKELAB_DIFFUSERS_MAX_S."""


@dataclass
class _Job:
    id: str
    label: str
    shape: models.Shape
    usd_per_hour: float
    max_s: float
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    seconds: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    frames: NDArray[np.uint8] | None = None

    @property
    def cost_usd(self) -> float | None:
        if self.seconds is None:
            return None
        # Never more than the reservation, price(): a stopped take may overrun by a step.
        return self.usd_per_hour * min(self.seconds, self.max_s) / 3600.0


@dataclass(frozen=True)
class _Work:
    job: _Job
    loaded: models.Loaded
    kwargs: dict[str, Any]
    seed: int


# Jobs of this process. One generation at a time, in one long-lived worker thread: a second
# take waits (queued) for the device rather than sharing its memory, and PyTorch's CPU
# thread pool is made once, not per take.
_JOBS: dict[str, _Job] = {}
_JOBS_LOCK = threading.Lock()
_GENERATE = threading.Lock()
_QUEUE: queue.SimpleQueue[_Work] = queue.SimpleQueue()
_WORKER: threading.Thread | None = None
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
        job = _Job(
            id=f"local-{uuid.uuid4().hex}",
            label=f"{self.spec} {request.take_id[:8]}",
            shape=shape,
            usd_per_hour=gpu_usd_per_hour(),
            max_s=local_max_seconds(),
        )
        with _JOBS_LOCK:
            _JOBS[job.id] = job
        _enqueue(_Work(job, loaded, kwargs, request.seed))
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
        job = _JOBS.get(job_id)
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
        job = _JOBS.get(job_id)
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
        job = _JOBS.get(job_id)
        return job.seconds if job is not None else None


def _enqueue(work: _Work) -> None:
    """Queue a take for the worker thread, starting the thread if there is none."""
    global _WORKER
    with _JOBS_LOCK:
        _QUEUE.put(work)
        if _WORKER is None or not _WORKER.is_alive():
            _WORKER = threading.Thread(target=_work, name="takelab-diffusers", daemon=True)
            _WORKER.start()


def _work() -> None:
    while True:
        work = _QUEUE.get()
        _generate(work.job, work.loaded, work.kwargs, work.seed)


def _generate(job: _Job, loaded: models.Loaded, kwargs: dict[str, Any], seed: int) -> None:
    """One take in the worker thread: wait for the device, denoise, decode, keep the frames."""
    with _GENERATE:
        job.state = JobState.RUNNING
        started = time.monotonic()
        total = int(kwargs["num_inference_steps"])

        def on_step(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            # The last 5% is the VAE decode, which reports nothing.
            job.progress = 0.95 * min(1.0, (step + 1) / total)
            if time.monotonic() - started > job.max_s:
                raise _TooSlow
            return tensors

        try:
            torch, _ = models.import_stack()  # in the try: a failure ends the job, not the thread
            # A CPU generator draws the same noise on any device: a seed names the same take.
            generator = torch.Generator("cpu").manual_seed(seed % 2**63)
            # diffusers' own bar over the steps, named after the take; settings made on the
            # pipeline before (e.g. disable=True) are kept.
            bar = dict(getattr(loaded.pipe, "_progress_bar_config", {}))
            loaded.pipe.set_progress_bar_config(**{**bar, "desc": job.label, "leave": False})
            out = loaded.pipe(**kwargs, generator=generator, callback_on_step_end=on_step)
            job.frames = _to_frames(np.asarray(out.frames[0]), job.shape)
        except _TooSlow:
            job.error_code = "too-slow"
            job.error_message = (
                f"stopped after {job.max_s:g} s of generation ({LOCAL_MAX_S_ENV}); "
                "raise it, or ask for fewer seconds or a lower resolution"
            )
        except Exception as exc:
            job.error_code = "generation-error"
            job.error_message = f"{type(exc).__name__}: {exc}"[:1000]
        finally:
            job.seconds = time.monotonic() - started
            if job.frames is not None:
                job.progress = 1.0
            # Last: a poll that sees the end sees the frames, seconds and progress with it.
            job.state = JobState.SUCCEEDED if job.frames is not None else JobState.FAILED


def _to_frames(video: NDArray[Any], shape: models.Shape) -> NDArray[np.uint8]:
    """Float frames in [0, 1] (frames x h x w x 3) to uint8, centre-cropped to the take's size."""
    y0 = (shape.gen_height - shape.height) // 2
    x0 = (shape.gen_width - shape.width) // 2
    crop = video[:, y0 : y0 + shape.height, x0 : x0 + shape.width]
    return np.ascontiguousarray((np.clip(crop, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


__all__ = ["RESOLUTIONS", "DiffusersBackend"]
