"""Distributed sweeps on Ray: takes run as Ray tasks while the money rules stay in the driver.

The driver keeps the journal, the budget and MLflow (runner.py, unchanged); only the
backend calls move. Each backend of a sweep is wrapped in a `RayBackend`:

- `price` and `capabilities` are answered in the driver (no network, no key);
- `submit` runs as one task with no retries: a worker that dies inside a create call makes
  the call raise here, and the runner marks the take uncertain, as for any unknown failure
  of a create call. A create call is never repeated by Ray;
- `poll`, `fetch` and `find_jobs` only read, so Ray retries them on another worker when
  one dies; `fetch` returns the file's bytes and the driver writes them to the scratch file;
- a local backend (`runs_locally`: previz, a local GPU model) has no provider to resume
  from, so its whole take (submit, wait, fetch) is one task on one worker with the GPUs it
  needs, retried if that worker dies (there is no one to pay twice). Its job id names the
  task's result, held by the driver; `poll` asks whether it is ready.

Workers build backends by spec with `get_backend` and read API keys from their own
environment (a local cluster inherits the driver's): no key travels through Ray. Joining
or starting the cluster itself is ray_cluster.py's.
"""

from __future__ import annotations

import pickle
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, TypeVar

from takelab.backends import Backend, Capabilities, JobState, JobStatus, TakeRequest, get_backend
from takelab.errors import SubmitError, TakelabError, UsageError
from takelab.errors import WorkerError as WorkerError  # defined with every error

LIGHT_CPUS = 0.25  # a provider call waits on the network: four share a CPU
LOCAL_CPUS = 1.0  # a local model renders or runs on its worker
POLL_RETRIES = 3  # Ray resubmits a read on another worker if its worker dies
LOCAL_RETRIES = 2

T = TypeVar("T")


class JobBoard:
    """Where every take on the cluster stands, for the sweep's progress bar."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, str] = {}
        self._submitting = 0

    def submitting(self, delta: int) -> None:
        with self._lock:
            self._submitting += delta

    def set(self, job_id: str, phase: str | None) -> None:
        with self._lock:
            if phase is None:
                self._jobs.pop(job_id, None)
            else:
                self._jobs[job_id] = phase

    def counts(self) -> dict[str, int]:
        """Takes per phase (submitting, queued, running, fetching), zeros left out."""
        with self._lock:
            c = Counter(self._jobs.values())
            if self._submitting:
                c["submitting"] = self._submitting
        return dict(sorted(c.items()))


class RayBackend(Backend):
    """A backend whose calls run as Ray tasks; the wrapped backend answers price locally."""

    name: ClassVar[str] = "ray"
    default_model: ClassVar[str] = ""

    def __init__(self, inner: Backend, ray: ModuleType, board: JobBoard | None = None) -> None:
        super().__init__(inner.model)
        self.inner = inner
        self.board = board or JobBoard()
        self._ray = ray
        self._local: dict[str, tuple[Any, Any]] = {}  # job id -> (status ref, bytes ref)
        self._lock = threading.Lock()
        remote = _remote_functions(ray)
        light = {"num_cpus": LIGHT_CPUS, "max_retries": POLL_RETRIES}
        self._submit_fn = remote("submit", num_cpus=LIGHT_CPUS, max_retries=0)
        self._poll_fn = remote("poll", **light)
        self._fetch_fn = remote("fetch", **light)
        self._find_fn = remote("find_jobs", **light)
        self._ready_fn = remote("check_ready", **light)
        self._generate_fn = remote(
            "generate",
            num_cpus=LOCAL_CPUS,
            num_gpus=inner.gpus_per_take(),
            max_retries=LOCAL_RETRIES,
            num_returns=2,
        )

    # What the runner reads from a backend, answered by the wrapped one.
    @property
    def spec(self) -> str:
        return self.inner.spec

    @property
    def lists_jobs(self) -> bool:  # type: ignore[override]
        return self.inner.lists_jobs

    @property
    def runs_locally(self) -> bool:  # type: ignore[override]
        return self.inner.runs_locally

    @property
    def poll_interval_s(self) -> float:  # type: ignore[override]
        # A local take's poll waits on its task itself (see `poll`).
        return 0.0 if self.inner.runs_locally else self.inner.poll_interval_s

    @property
    def deadline_s(self) -> float:  # type: ignore[override]
        # A local take may queue for a free GPU; its worker keeps the backend's deadline.
        return float("inf") if self.inner.runs_locally else self.inner.deadline_s

    def gpus_per_take(self) -> float:
        return self.inner.gpus_per_take()

    def capabilities(self) -> Capabilities:
        return self.inner.capabilities()

    def price(self, request: TakeRequest) -> float:
        return self.inner.price(request)

    def discard(self, request: TakeRequest) -> None:
        self.inner.discard(request)

    def check_ready(self) -> None:
        """Ask a worker: keys and SDKs must be where the calls run."""
        self._get(self._ready_fn.remote(self.spec))

    def submit(self, request: TakeRequest) -> str:
        image = _image_bytes(request)
        if self.inner.runs_locally:
            status_ref, data_ref = self._generate_fn.remote(self.spec, request, image)
            local_id = f"ray-{uuid.uuid4().hex[:16]}"
            with self._lock:
                self._local[local_id] = (status_ref, data_ref)
            self.board.set(local_id, "queued")
            return local_id
        self.board.submitting(+1)
        try:
            job_id: str = self._get(self._submit_fn.remote(self.spec, request, image))
        finally:
            self.board.submitting(-1)
        self.board.set(job_id, "queued")
        return job_id

    def poll(self, job_id: str) -> JobStatus:
        if self.inner.runs_locally:
            status = self._poll_local(job_id)
        else:
            status = self._get(self._poll_fn.remote(self.spec, job_id))
        self.board.set(job_id, _phase(status))
        return status

    def fetch(self, job_id: str, dest: Path) -> Path:
        try:
            if self.inner.runs_locally:
                with self._lock:
                    refs = self._local.pop(job_id, None)
                if refs is None:
                    raise UsageError(f"{self.spec}: job {job_id} has no result in this sweep")
                data: bytes | None = self._get(refs[1])
            else:
                data = self._get(self._fetch_fn.remote(self.spec, job_id))
        finally:
            self.board.set(job_id, None)
        if data is None:
            raise UsageError(f"{self.spec}: job {job_id} made no video")
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        return dest

    def find_jobs(self, request: TakeRequest, *, since: float | None = None) -> list[str]:
        found: list[str] = self._get(self._find_fn.remote(self.spec, request, since))
        return found

    def _poll_local(self, job_id: str) -> JobStatus:
        with self._lock:
            refs = self._local.get(job_id)
        if refs is None:  # made by a sweep that has ended: its result died with it
            return _failed("lost", f"job {job_id} ran in an earlier sweep; rerun the take")
        ready, _ = self._ray.wait([refs[0]], timeout=1.0)
        if not ready:
            return JobStatus(state=JobState.RUNNING, progress=None, cost_usd=None)
        try:
            status: JobStatus = self._get(refs[0])
        except Exception as exc:  # the model crashed or its workers kept dying: nothing to pay
            with self._lock:
                self._local.pop(job_id, None)
            return _failed("worker-error", f"{type(exc).__name__}: {exc}")
        if status.state is not JobState.SUCCEEDED:
            with self._lock:
                self._local.pop(job_id, None)
        return status

    def _get(self, ref: Any) -> Any:
        """`ray.get`, raising a task's own exception rather than Ray's wrapper of it."""
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise


def _phase(status: JobStatus) -> str | None:
    if status.state is JobState.SUCCEEDED:
        return "fetching"
    if status.state.terminal:
        return None
    return str(status.state)


def _failed(code: str, message: str) -> JobStatus:
    return JobStatus(
        state=JobState.FAILED, progress=None, error_code=code, error_message=message, cost_usd=0.0
    )


def _image_bytes(request: TakeRequest) -> bytes | None:
    """A first frame travels as bytes: a worker on another machine cannot read our path."""
    if not request.image_path:
        return None
    return Path(request.image_path).read_bytes()


# -- what runs on the workers ------------------------------------------------------------


@cache
def worker_backend(spec: str) -> Backend:
    """The worker's backend for a spec, built once per worker process."""
    return get_backend(spec)


@contextmanager
def _with_image(request: TakeRequest, image: bytes | None) -> Iterator[TakeRequest]:
    if image is None or not request.image_path:
        yield request
        return
    with tempfile.TemporaryDirectory(prefix="takelab-ray-") as tmp:
        path = Path(tmp) / Path(request.image_path).name
        path.write_bytes(image)
        yield request.model_copy(update={"image_path": str(path)})


def _portable(call: Callable[[], T]) -> T:
    """Run `call`; an exception that would not survive the trip to the driver is replaced
    by a WorkerError carrying its type and message."""
    try:
        return call()
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise WorkerError(f"{type(exc).__name__}: {exc}") from None
        raise


def _submit_task(spec: str, request: TakeRequest, image: bytes | None) -> str:
    with _with_image(request, image) as req:
        return _portable(lambda: worker_backend(spec).submit(req))


def _poll_task(spec: str, job_id: str) -> JobStatus:
    return _portable(lambda: worker_backend(spec).poll(job_id))


def _fetch_task(spec: str, job_id: str) -> bytes:
    from takelab.backends import is_gone
    from takelab.errors import OutputGoneError

    backend = worker_backend(spec)

    def fetch(dest: Path) -> bytes:
        try:
            path = backend.fetch(job_id, dest)
        except Exception as exc:  # an SDK's "gone" may not pickle; say it in our terms
            if is_gone(exc) and not isinstance(exc, OutputGoneError):
                raise OutputGoneError(backend.name, job_id, str(exc)) from None
            raise
        return path.read_bytes()

    with tempfile.TemporaryDirectory(prefix="takelab-ray-") as tmp:
        return _portable(lambda: fetch(Path(tmp) / "take.mp4"))


def _find_jobs_task(spec: str, request: TakeRequest, since: float | None) -> list[str]:
    return _portable(lambda: worker_backend(spec).find_jobs(request, since=since))


def _check_ready_task(spec: str) -> None:
    _portable(lambda: worker_backend(spec).check_ready())


def _generate_task(
    spec: str, request: TakeRequest, image: bytes | None
) -> tuple[JobStatus, bytes | None]:
    """A local backend's whole take on this worker: submit, wait, fetch."""
    backend = worker_backend(spec)
    with _with_image(request, image) as req, tempfile.TemporaryDirectory() as tmp:
        try:
            job_id = backend.submit(req)
        except SubmitError as exc:
            state = JobState.BLOCKED if exc.blocked else JobState.FAILED
            code = exc.code or "rejected"
            return _failed(code, str(exc)).model_copy(update={"state": state}), None
        except TakelabError as exc:
            return _failed("not-sent", str(exc)), None
        from takelab.sweep.take import wait_for_job

        status = wait_for_job(backend, job_id)
        if status is None:
            return _failed("deadline", f"not finished in {backend.deadline_s:g} s"), None
        if status.state is not JobState.SUCCEEDED:
            return status, None
        path = _portable(lambda: backend.fetch(job_id, Path(tmp) / "take.mp4"))
        return status, path.read_bytes()


_TASKS: dict[str, Callable[..., Any]] = {
    "submit": _submit_task,
    "poll": _poll_task,
    "fetch": _fetch_task,
    "find_jobs": _find_jobs_task,
    "check_ready": _check_ready_task,
    "generate": _generate_task,
}
_REMOTE: dict[str, Any] = {}
_REMOTE_LOCK = threading.Lock()


def _remote_functions(ray: ModuleType) -> Callable[..., Any]:
    """The tasks as Ray remote functions, made on first use (importing takelab starts
    nothing); each is named `takelab_<call>`, which is also its worker's process title."""
    with _REMOTE_LOCK:
        if not _REMOTE:
            _REMOTE.update({name: ray.remote(fn) for name, fn in _TASKS.items()})

    def remote(name: str, **options: Any) -> Any:
        return _REMOTE[name].options(name=f"takelab_{name}", **options)

    return remote
