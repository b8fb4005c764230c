"""The one generation thread of local diffusers takes: jobs of this process, queued for the
device one at a time, denoised with a progress callback and a time limit, their frames
kept in memory until fetched.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from takelab.backends import _diffusers_models as models
from takelab.backends._base import JobState
from takelab.backends._local_price import LOCAL_MAX_S_ENV


class _TooSlow(Exception):
    """Raised from the step callback to stop a take past TAKELAB_DIFFUSERS_MAX_S."""


@dataclass
class Job:
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
class Work:
    job: Job
    loaded: models.Loaded
    kwargs: dict[str, Any]
    seed: int


# Jobs of this process. One generation at a time, in one long-lived worker thread: a second
# take waits (queued) for the device rather than sharing its memory, and PyTorch's CPU
# thread pool is made once, not per take.
JOBS: dict[str, Job] = {}
JOBS_LOCK = threading.Lock()
GENERATE = threading.Lock()
_QUEUE: queue.SimpleQueue[Work] = queue.SimpleQueue()
_WORKER: threading.Thread | None = None


def enqueue(work: Work) -> None:
    """Queue a take for the worker thread, starting the thread if there is none."""
    global _WORKER
    with JOBS_LOCK:
        _QUEUE.put(work)
        if _WORKER is None or not _WORKER.is_alive():
            _WORKER = threading.Thread(target=_work, name="takelab-diffusers", daemon=True)
            _WORKER.start()


def _work() -> None:
    while True:
        work = _QUEUE.get()
        _generate(work.job, work.loaded, work.kwargs, work.seed)


def _generate(job: Job, loaded: models.Loaded, kwargs: dict[str, Any], seed: int) -> None:
    """One take in the worker thread: wait for the device, denoise, decode, keep the frames."""
    with GENERATE:
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
