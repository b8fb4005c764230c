"""The six provider backends and their fakes as one table, and the helpers their tests share:
pointing a backend at its fake, running a sweep, reading the journal and MLflow.

Used by the contract suite (tests/test_backend_contract.py) and by each provider's own
tests (tests/test_backend_<name>.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fakes import fal_fake, luma_fake, openai_videos_fake, replicate_fake, runway_fake, veo_fake
from fakes._provider_fake import ProviderFake
from takelab.backends import ProviderBackend, TakeRequest, backend_class
from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord
from takelab.sweep.run import SweepResult, run_sweep
from takelab.tracking.tracker import Tracker

KEY_VARS = (
    "RUNWAYML_API_SECRET",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "LUMAAI_API_KEY",
    "LUMA_AGENTS_API_KEY",
    "FAL_KEY",
    "REPLICATE_API_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
)
PROMPT = (
    "A woman in a red raincoat walks toward the camera through the rain at night, "
    "neon signs flickering, slow dolly back"
)
KLING = "fal-ai/kling-video/v2/master/text-to-video"


@dataclass(frozen=True)
class Provider:
    """One backend and its fake, and what the contract expects of them."""

    spec: str
    make: Callable[..., ProviderFake]
    key_env: str
    url_env: str
    duration: float
    resolution: str
    price: float  # of one take at these settings (the table, or what the provider reports)
    failed: tuple[str, str, float]  # a failed job: error code, words of its message, cost
    blocked: tuple[str, str, float]  # ... and a moderated one
    expired: str  # words of the message when a finished output has expired

    @property
    def name(self) -> str:
        return self.spec.split(":")[0]

    @property
    def backend(self) -> type[ProviderBackend]:
        cls = backend_class(self.name)
        assert issubclass(cls, ProviderBackend)
        return cls


PROVIDERS = [
    Provider(
        "runway",
        runway_fake.RunwayFake,
        "RUNWAYML_API_SECRET",
        "RUNWAYML_BASE_URL",
        5,
        "720p",
        0.60,  # gen4.5: 12 credits/s at $0.01, as Runway reports it
        ("INTERNAL.BAD_OUTPUT.CODE01", "unexpected error", 0.0),
        ("SAFETY.INPUT.TEXT", "flagged by content moderation", 0.60),  # Runway charges these
        "403",
    ),
    Provider(
        "openai-videos",
        openai_videos_fake.OpenAIVideosFake,
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        4,
        "720p",
        0.40,
        ("internal_error", "internal error", 0.0),
        ("moderation_blocked", "blocked by our moderation system", 0.0),
        "has expired",
    ),
    Provider(
        "veo",
        veo_fake.VeoFake,
        "GEMINI_API_KEY",
        "GOOGLE_VERTEX_BASE_URL",
        4,
        "720p",
        0.60,
        ("INTERNAL", veo_fake.FAILED_MESSAGE, 0.0),
        ("rai-media-filtered", veo_fake.FILTERED_REASON, 0.0),
        "404",
    ),
    Provider(
        "luma",
        luma_fake.LumaFake,
        "LUMAAI_API_KEY",
        "LUMAAI_BASE_URL",
        5,
        "720p",
        0.71,
        ("failed", luma_fake.FAILED_REASON, 0.0),
        ("moderation", luma_fake.MODERATION_REASON, 0.0),
        "403",
    ),
    Provider(
        f"fal:{KLING}",
        fal_fake.FalFake,
        "FAL_KEY",
        "TAKELAB_FAL_QUEUE_URL",
        5,
        "720p",
        1.40,
        ("runner_server_error", "Runner crashed", 0.0),
        ("content_policy_violation", "flagged by a content checker", 0.0),
        "404",
    ),
    Provider(
        "replicate",
        replicate_fake.ReplicateFake,
        "REPLICATE_API_TOKEN",
        "REPLICATE_BASE_URL",
        5,
        "1080p",
        1.40,
        ("failed", "internal error", 0.0),
        ("moderation", replicate_fake.MODERATION_ERROR, 0.0),
        "404",
    ),
]

BY_NAME = {p.name: p for p in PROVIDERS}


def point_at(p: Provider, fake: ProviderFake, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Send the backend's calls (and key) to its running fake, poll it fast, and record the
    waits its retries ask for instead of sleeping them; returns those waits."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(p.key_env, fake.key)
    monkeypatch.setenv(p.url_env, fake.api_url)
    monkeypatch.setattr("takelab.envfile.dotenv_paths", lambda: [])
    monkeypatch.setattr(p.backend, "poll_interval_s", 0.01)
    slept: list[float] = []
    monkeypatch.setattr(p.backend, "_sleep", lambda self, s: slept.append(s))
    return slept


def sweep(path: Path, spec: str) -> SweepResult:
    return run_sweep(path, backends=[spec], progress=False, concurrency=1)


def journal() -> Journal:
    return Journal(Home.from_env().journal)


def record(take_id: str) -> TakeRecord:
    found = journal().get(take_id)
    assert found is not None
    return found


def take_run(project: str, take_id: str) -> tuple[dict[str, str], dict[str, float]]:
    """The take's MLflow run: tags and metrics."""
    client = Tracker(Home.from_env()).client
    exp = client.get_experiment_by_name(project)
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], f"tags.`takelab.take_id` = '{take_id}'")
    assert len(runs) == 1
    return runs[0].data.tags, runs[0].data.metrics


_MLFLOW_TEMPLATE: list[Path] = []


def empty_mlflow_store(home: Path) -> None:
    """Put an empty, migrated MLflow store into `home`: migrating one takes seconds, so it
    is done once per process and copied."""
    import shutil
    import tempfile

    if not _MLFLOW_TEMPLATE:
        from mlflow import MlflowClient

        db = Path(tempfile.mkdtemp(prefix="takelab-mlflow-")) / "mlflow.db"
        MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
        _MLFLOW_TEMPLATE.append(db)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(_MLFLOW_TEMPLATE[0], home / "mlflow.db")


def fake_fixture(name: str, **options: Any) -> Any:
    """A pytest fixture giving each test the provider's fake, running, with the backend
    pointed at it and an empty store (assign it in a test module: `fake = fake_fixture(...)`)."""

    @pytest.fixture
    def fake(takelab_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
        p = BY_NAME[name]
        empty_mlflow_store(takelab_home)
        monkeypatch.chdir(tmp_path)  # no stray .env
        with p.make(**options).running() as running:
            point_at(p, running, monkeypatch)
            yield running

    return fake


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CAT = """\
        subject: a black cat
        action: stretches and turns its head toward the window
        camera: static close-up
        lighting: golden hour sun setting through the window
"""


def write_project(
    folder: Path,
    project: str,
    *,
    duration: float,
    resolution: str = "720p",
    shot: str = "cat",
    variant: str = CAT,
    extra: str = "",
) -> Path:
    """A project file of one shot with one variant `v1` (its fields, `variant`, then
    `extra`), with a `first.png` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "first.png").write_bytes(PNG)
    path = folder / f"{project}.yaml"
    path.write_text(
        f'project: {project}\ndefaults:\n  duration: {duration:g}\n  aspect: "16:9"\n'
        f"  resolution: {resolution}\nshots:\n  - id: {shot}\n    variants:\n"
        f"      - id: v1\n{variant}{extra}"
    )
    return path


def take_request(backend: str, model: str, **changes: Any) -> TakeRequest:
    """A take for `backend:model`: a 5 s 16:9 720p clip of a cat, seed 1, unless changed."""
    base: dict[str, Any] = dict(
        project="p",
        shot="s",
        variant="v",
        prompt="a cat",
        backend=backend,
        model=model,
        duration_s=5.0,
        aspect="16:9",
        resolution="720p",
        seed=1,
    )
    return TakeRequest(**{**base, **changes})
