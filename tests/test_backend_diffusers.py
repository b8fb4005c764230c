"""The diffusers backend on the CPU, with tiny random-weight SVD, LTX and Wan pipelines built
from configs (tests/fakes/tiny_diffusers.py): clips of the asked length and size, seeds,
costs, time limits, missing models, lost jobs, and a take through a whole sweep."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from takelab.backends import JobState, JobStatus, TakeRequest, _diffusers_worker, get_backend
from takelab.backends import _diffusers_models as models
from takelab.backends.local_diffusers import DiffusersBackend
from takelab.errors import BackendError, LocalModelError, OutputGoneError, UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.tracking.tracker import Tracker

MODEL_VARS = {name: f"TAKELAB_DIFFUSERS_{name.upper()}" for name in ("svd", "ltx", "wan")}
PROJECT = """\
project: local
goal: tests
defaults:
  duration: 1
  aspect: "16:9"
  resolution: 144p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman in a red raincoat walks toward the camera at night, neon light
          flickering on, slow dolly back
"""


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from fakes.tiny_diffusers import save_all

    return save_all(tmp_path_factory.mktemp("tiny-diffusers"))


@pytest.fixture(autouse=True)
def local_models(monkeypatch: pytest.MonkeyPatch, tiny_models: dict[str, Path]) -> Iterator[None]:
    for name, variable in MODEL_VARS.items():
        monkeypatch.setenv(variable, str(tiny_models[name]))
    monkeypatch.setenv("TAKELAB_DIFFUSERS_DEVICE", "cpu")  # the CPU even on a GPU host
    monkeypatch.setenv("TAKELAB_DIFFUSERS_STEPS", "2")
    for variable in ("TAKELAB_DIFFUSERS_DTYPE", "TAKELAB_GPU_USD_PER_HOUR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("TAKELAB_DIFFUSERS_MAX_S", raising=False)
    yield


@pytest.fixture
def first_frame(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "first.png"
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[..., 0] = np.linspace(0, 255, 300, dtype=np.uint8)  # a red ramp, left to right
    rgb[..., 2] = 80
    Image.fromarray(rgb).save(path)
    return path


def request(
    model: str, *, seed: int = 1, aspect: str = "16:9", image: Path | None = None
) -> TakeRequest:
    return TakeRequest(
        project="local",
        shot="walk",
        variant="v1",
        prompt="a woman in a red raincoat walks toward the camera at night",
        negative="text, watermark" if model != "svd" else None,
        backend="diffusers",
        model=model,
        duration_s=1.0,
        aspect=aspect,
        resolution="144p",
        seed=seed,
        image_sha256="0" * 64 if image else None,
        image_path=str(image) if image else None,
    )


def wait(
    backend: DiffusersBackend, job_id: str, timeout_s: float = 120.0
) -> tuple[JobStatus, list[float]]:
    """Poll to the end; returns the last status and every progress seen."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout_s
    while True:
        status = backend.poll(job_id)
        seen.append(status.progress or 0.0)
        if status.state.terminal:
            return status, seen
        assert time.monotonic() < deadline, f"job {job_id} still {status.state}"
        time.sleep(0.05)


def generate(backend: DiffusersBackend, req: TakeRequest, dest: Path) -> Path:
    job_id = backend.submit(req)
    status, _ = wait(backend, job_id)
    assert status.state is JobState.SUCCEEDED, status.error_message
    return backend.fetch(job_id, dest)


def frames_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


@pytest.mark.parametrize(
    ("model", "aspect", "fps", "frames"),
    [
        ("svd", "16:9", 7, 7),  # 1 s at SVD's 7 fps
        ("ltx", "9:16", 24, 25),  # 24 frames rounded to 8k+1
        ("wan", "16:9", 16, 17),  # 16 frames rounded to 4k+1
    ],
)
def test_each_model_makes_a_clip_of_the_asked_length_and_size(
    model: str, aspect: str, fps: int, frames: int, first_frame: Path, tmp_path: Path
) -> None:
    if model == "wan":
        pytest.importorskip("accelerate", reason="diffusers loads Wan only with accelerate")
    backend = get_backend(f"diffusers:{model}")
    assert isinstance(backend, DiffusersBackend)
    req = request(model, aspect=aspect, image=first_frame if model == "svd" else None)
    job_id = backend.submit(req)
    assert job_id.startswith("local-")
    status, seen = wait(backend, job_id)
    assert status.state is JobState.SUCCEEDED, status.error_message
    assert seen == sorted(seen) and seen[-1] == 1.0  # progress only goes forward
    path = backend.fetch(job_id, tmp_path / "take.mp4")
    info = media.check_decodes(path)
    width, height = (256, 144) if aspect == "16:9" else (144, 256)
    assert (info.width, info.height, info.frames) == (width, height, frames)
    assert info.fps == pytest.approx(fps)
    assert abs(info.duration_s - 1.0) < 0.1
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    # The frames were written once and freed; the take's file is what remains.
    assert backend.poll(job_id).state is JobState.SUCCEEDED
    with pytest.raises(OutputGoneError):
        backend.fetch(job_id, tmp_path / "again.mp4")


def test_the_same_seed_gives_the_same_frames_and_another_seed_does_not(tmp_path: Path) -> None:
    backend = DiffusersBackend("ltx")
    one = generate(backend, request("ltx", seed=1), tmp_path / "one.mp4")
    again = generate(DiffusersBackend("ltx"), request("ltx", seed=1), tmp_path / "again.mp4")
    other = generate(backend, request("ltx", seed=2), tmp_path / "other.mp4")
    assert one.read_bytes() == again.read_bytes()
    a, b = frames_of(one), frames_of(other)
    assert a.shape == b.shape
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1.0


def test_cost_is_the_rate_times_the_measured_seconds_within_the_reservation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TAKELAB_GPU_USD_PER_HOUR", "36")  # a cent a second
    monkeypatch.setenv("TAKELAB_DIFFUSERS_MAX_S", "120")
    backend = DiffusersBackend("ltx")
    req = request("ltx", seed=3)
    reserved = backend.price(req)
    assert reserved == pytest.approx(36 * 120 / 3600)
    started = time.monotonic()
    job_id = backend.submit(req)
    status, _ = wait(backend, job_id)
    wall = time.monotonic() - started
    seconds = backend.generation_seconds(job_id)
    assert seconds is not None and 0 < seconds <= wall
    assert status.cost_usd == pytest.approx(36 * seconds / 3600)
    assert 0 < status.cost_usd <= reserved


def test_a_take_past_the_time_limit_is_stopped_and_charged_its_reservation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAKELAB_DIFFUSERS_MAX_S", "0.001")
    backend = DiffusersBackend("ltx")
    req = request("ltx", seed=4)
    status, _ = wait(backend, backend.submit(req))
    assert status.state is JobState.FAILED and status.error_code == "too-slow"
    assert "TAKELAB_DIFFUSERS_MAX_S" in (status.error_message or "")
    assert status.cost_usd == pytest.approx(backend.price(req))


def test_a_take_waits_for_the_one_generation_at_a_time(tmp_path: Path) -> None:
    backend = DiffusersBackend("ltx")
    backend.submit(request("ltx", seed=5))  # loads the model, so the next submit is quick
    with _diffusers_worker.GENERATE:  # another take is generating
        job_id = backend.submit(request("ltx", seed=6))
        time.sleep(0.2)
        assert backend.poll(job_id).state is JobState.QUEUED
    status, _ = wait(backend, job_id)
    assert status.state is JobState.SUCCEEDED


@pytest.mark.parametrize("where", ["missing", "not-a-model"])
def test_a_missing_model_is_a_clear_error_before_anything_runs(
    where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "weights" / "ltx"
    if where == "not-a-model":
        folder.mkdir(parents=True)
    monkeypatch.setenv("TAKELAB_DIFFUSERS_LTX", str(folder))
    jobs = len(_diffusers_worker.JOBS)
    with pytest.raises(LocalModelError) as err:
        DiffusersBackend("ltx").submit(request("ltx", seed=7))
    text = str(err.value)
    assert "TAKELAB_DIFFUSERS_LTX" in text and str(folder) in text
    assert ("no such folder" if where == "missing" else "model_index.json") in text
    assert err.value.variable == "TAKELAB_DIFFUSERS_LTX"
    assert len(_diffusers_worker.JOBS) == jobs  # nothing started


def test_svd_needs_a_first_frame() -> None:
    backend = DiffusersBackend("svd")
    caps = backend.capabilities()
    assert caps.image_input and caps.image_required
    problems = caps.problems(request("svd"))
    assert problems == ["this model needs a first-frame image (add `image:` to the variant)"]
    with pytest.raises(BackendError, match="first-frame image"):
        backend.submit(request("svd"))
    assert not DiffusersBackend("ltx").capabilities().image_input


def test_a_job_this_process_never_ran_polls_as_lost() -> None:
    status = DiffusersBackend("wan").poll("local-0123456789abcdef")
    assert status.state is JobState.FAILED and status.error_code == "lost"
    assert "--retry-failed" in (status.error_message or "")
    assert status.cost_usd is None


def test_device_dtype_and_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = DiffusersBackend("wan")
    assert backend.runs_locally
    assert backend.gpus_per_take() == 0
    svd, ltx = models.MODELS["svd"], models.MODELS["ltx"]
    assert (svd.dtype("cpu"), ltx.dtype("cpu")) == ("float32", "float32")
    assert (svd.dtype("cuda"), ltx.dtype("cuda")) == ("float16", "bfloat16")
    monkeypatch.setenv("TAKELAB_DIFFUSERS_DEVICE", "cuda")
    assert backend.gpus_per_take() == 1
    monkeypatch.setenv("TAKELAB_DIFFUSERS_DTYPE", "fp16")
    assert ltx.dtype("cuda") == "float16"
    monkeypatch.setenv("TAKELAB_DIFFUSERS_DTYPE", "int8")
    with pytest.raises(UsageError, match="TAKELAB_DIFFUSERS_DTYPE"):
        ltx.dtype("cuda")


def test_frame_counts_follow_each_models_rule() -> None:
    assert models.frame_count(2.0, 24, 8) == 49  # LTX: 8k+1
    assert models.frame_count(5.0, 16, 4) == 81  # Wan: 4k+1
    assert models.frame_count(3.5, 7, 1) == 24  # SVD: any count
    assert models.frame_count(0.1, 24, 8) == 9  # never fewer than one step of the VAE


def test_a_local_take_through_a_sweep_lands_done_with_its_cost(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from takelab.sweep.run import run_sweep

    monkeypatch.setenv("TAKELAB_GPU_USD_PER_HOUR", "36")
    project = tmp_path / "proj" / "local.yaml"
    project.parent.mkdir()
    project.write_text(PROJECT)
    # Two takes in flight at once: they queue for the one generation at a time.
    result = run_sweep(project, backends=["diffusers:ltx"], seeds=2, progress=False)
    assert [o.status for o in result.outcomes] == ["done", "done"], result.summary
    journal = Journal(Home.from_env().journal)
    records = [journal.get(o.take_id) for o in result.outcomes]
    costs = {}
    for record in records:
        assert record is not None and record.state is TakeState.DONE
        assert record.cost_usd is not None and 0 < record.cost_usd <= 36 * 600 / 3600
        costs[record.take_id] = record.cost_usd
        info = media.check_decodes(Path(record.path or ""))
        assert (info.width, info.height, info.frames) == (256, 144, 25)
    assert result.spend_usd == pytest.approx(sum(costs.values()))
    tracker = Tracker()
    runs = tracker.client.search_runs(
        [tracker.experiment_id("local")], "tags.`takelab.kind` = 'take'"
    )
    assert len(runs) == 2
    for run in runs:
        take_id = run.data.tags["takelab.take_id"]
        assert run.data.metrics["cost_usd"] == pytest.approx(costs[take_id])
        assert run.data.metrics["conforms"] == 1.0

    # Weights that cannot be loaded: the take fails as not sent, and costs nothing.
    monkeypatch.setenv("TAKELAB_DIFFUSERS_LTX", str(tmp_path / "no-such-weights"))
    failed = run_sweep(project, backends=["diffusers:ltx"], seeds=[3], progress=False)
    [out] = failed.outcomes
    record = journal.get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "not-sent" and record.cost_usd == 0
    assert "TAKELAB_DIFFUSERS_LTX" in (record.error_message or "")


def test_a_sweep_stops_before_it_starts_without_pytorch_or_with_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = DiffusersBackend("ltx")
    backend.check_ready()
    monkeypatch.setenv("TAKELAB_GPU_USD_PER_HOUR", "two dollars")
    with pytest.raises(UsageError, match="TAKELAB_GPU_USD_PER_HOUR"):
        backend.check_ready()
    monkeypatch.delenv("TAKELAB_GPU_USD_PER_HOUR")
    monkeypatch.setitem(sys.modules, "diffusers", None)  # as if not installed
    with pytest.raises(BackendError, match=r"pip install '\.\[local\]'"):
        backend.check_ready()
