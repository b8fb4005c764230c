"""Issue 5, item 7: secrets.

A sweep through the command line (papermill, a kernel) against the openai-videos and
runway fakes, one key in the environment and one in a `.env`, leaves neither key anywhere:
not in TAKELAB_HOME's files and databases, the executed notebook, the MLflow store or the
command's output. A key passed as a notebook parameter is refused before any notebook is
written, and `.env` is read by takelab alone and ignored by git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from fakes.openai_videos_fake import OpenAIVideosFake
from fakes.runway_fake import RunwayFake
from provider_keys import KEY_VARS
from takelab.errors import UsageError
from takelab.home import Home
from takelab.scrub import SECRET_NAME
from takelab.secrets import get_secret
from takelab.settings import secret_variables
from takelab.sweep.notebook import run_sweep_notebook

PROJECT = """\
project: canary
defaults:
  duration: 4
  aspect: "16:9"
  resolution: 720p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman in a red raincoat walks toward the camera at night, neon light
          flickering on, slow dolly back
"""
BACKENDS = ("--backend", "openai-videos", "--backend", "runway")


def canary(label: str) -> str:
    return f"sk-canary-{label}-{uuid.uuid4().hex}"


def files_holding(root: Path, needles: list[str]) -> list[str]:
    """Every file under `root` (databases and their WAL files included) holding a needle."""
    found = []
    raw = [n.encode() for n in needles]
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {n.decode()[:16]}..." for n in raw if n in data]
    return found


@pytest.fixture
def clean_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key from the developer's environment takes part."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fakes(
    monkeypatch: pytest.MonkeyPatch, clean_keys: None, tmp_path: Path
) -> Iterator[tuple[OpenAIVideosFake, RunwayFake, list[str], Path]]:
    """Both fakes, OPENAI_API_KEY in the environment, RUNWAYML_API_SECRET only in a `.env` in
    the directory the command runs from; yields the fakes, the canaries and that directory."""
    openai_key, runway_key = canary("openai"), canary("runway")
    workdir = tmp_path / "work"
    workdir.mkdir()
    with OpenAIVideosFake(openai_key).running() as ov, RunwayFake(runway_key).running() as rw:
        monkeypatch.setenv("OPENAI_API_KEY", openai_key)
        monkeypatch.setenv("OPENAI_BASE_URL", ov.base_url)
        # The key from a .env; its base URL from the environment (a .env's is ignored).
        (workdir / ".env").write_text(
            f"# only takelab reads this\nRUNWAYML_API_SECRET={runway_key}\n"
        )
        monkeypatch.setenv("RUNWAYML_BASE_URL", rw.url)
        monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.01")
        for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
            monkeypatch.delenv(name, raising=False)
        yield ov, rw, [openai_key, runway_key], workdir


@pytest.mark.faults
def test_keys_appear_nowhere_after_a_sweep_from_the_command_line(
    fakes: tuple[OpenAIVideosFake, RunwayFake, list[str], Path],
    tmp_path: Path,
) -> None:
    from mlflow import MlflowClient

    ov, rw, keys, workdir = fakes
    project = tmp_path / "proj" / "canary.yaml"
    project.parent.mkdir()
    project.write_text(PROJECT)
    proc = subprocess.run(
        [sys.executable, "-m", "takelab", "sweep", str(project), *BACKENDS],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "2 done" in proc.stdout, output
    assert ov.creates == 1 and rw.creates == 1  # both keys were used, and accepted

    for key in keys:
        assert key not in output
    home = Home.from_env()
    notebooks = list(home.sweeps.glob("*.ipynb"))
    assert len(notebooks) == 1
    assert list(home.artifacts.rglob("*.ipynb")), "the executed notebook was logged to MLflow"
    assert home.mlflow_db.is_file() and home.journal.is_file()
    assert files_holding(home.root, keys) == []
    # The MLflow store, read through MLflow as well as byte by byte above.
    client = MlflowClient(tracking_uri=home.tracking_uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 3  # the sweep and its two takes
    for run in runs:
        values = [*run.data.params.values(), *run.data.tags.values()]
        assert not [v for v in values for key in keys if key in v], run.info.run_id
    # The directory the command ran from holds its `.env` and nothing else.
    assert [p.name for p in workdir.iterdir()] == [".env"]


@pytest.mark.faults
@pytest.mark.parametrize("param", ["shots", "variants", "backends"])
def test_a_key_as_a_notebook_parameter_is_refused_before_a_notebook_is_written(
    project_file: Path, clean_keys: None, param: str
) -> None:
    secret = "sk-" + "A1b2C3d4" * 5
    with pytest.raises(UsageError) as info:
        run_sweep_notebook(project_file, **{param: [secret]})  # type: ignore[arg-type]
    message = str(info.value)
    assert repr(param) in message and "API key" in message
    assert secret not in message and secret[:12] not in message
    assert list(Home.from_env().sweeps.iterdir()) == []


@pytest.mark.faults
def test_the_value_of_a_key_variable_is_refused_even_if_it_looks_harmless(
    project_file: Path, clean_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = "harmless-looking-1234"  # no provider's key pattern: only its value gives it away
    monkeypatch.setenv("FAL_KEY", plain)
    with pytest.raises(UsageError, match="'variants'") as info:
        run_sweep_notebook(project_file, variants=[plain])
    assert plain not in str(info.value)
    with pytest.raises(UsageError, match="'backends'"):
        run_sweep_notebook(project_file, backends=[f"previz:{plain}"])
    assert list(Home.from_env().sweeps.iterdir()) == []


@pytest.mark.faults
def test_a_key_on_the_command_line_is_refused_with_one_line(
    project_file: Path, clean_keys: None
) -> None:
    secret = "sk-proj-" + "Zz09" * 8
    proc = subprocess.run(
        [sys.executable, "-m", "takelab", "sweep", str(project_file), "--shot", secret],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert secret not in proc.stdout + proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(error) == 1 and error[0].startswith("error:") and "'shots'" in error[0], error
    assert list(Home.from_env().sweeps.iterdir()) == []


@pytest.mark.faults
def test_every_backend_key_variable_is_known_without_importing_an_sdk() -> None:
    code = (
        "import sys; from takelab.backends._registry import available_backends, backend_class; "
        "print(*(getattr(backend_class(b), a, None) or '' for b in available_backends() "
        "for a in ('key_env', 'fallback_key_env'))); "
        "print(*sorted(m for m in sys.modules if m.split('.')[0] in "
        "('runwayml', 'google', 'lumaai', 'luma_agents', 'fal_client', 'replicate', 'openai')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    names, sdks = [*proc.stdout.splitlines(), "", ""][:2]
    assert set(KEY_VARS) <= set(names.split())
    assert sdks == ""
    # Each one is a documented setting, masked by `doctor --settings` and scrubbed by name.
    for name in names.split():
        assert name in secret_variables() and SECRET_NAME.search(name), name


@pytest.mark.faults
def test_dotenv_is_read_by_takelab_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_keys: None
) -> None:
    monkeypatch.chdir(tmp_path)
    value = canary("dotenv")
    (tmp_path / ".env").write_text(f'export REPLICATE_API_TOKEN="{value}"  # from .env\n')
    before = dict(os.environ)
    assert get_secret("REPLICATE_API_TOKEN") == value
    assert dict(os.environ) == before and "REPLICATE_API_TOKEN" not in os.environ
    # A child process started by anything but takelab does not see it.
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ.get('REPLICATE_API_TOKEN', ''))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == ""
    # The environment wins over the file.
    monkeypatch.setenv("REPLICATE_API_TOKEN", "from-the-environment")
    assert get_secret("REPLICATE_API_TOKEN") == "from-the-environment"


@pytest.mark.faults
def test_dotenv_is_git_ignored() -> None:
    patterns = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert ".env" in patterns
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        return
    for name in (".env", "prompts/.env", ".env.local"):
        check = subprocess.run([git, "check-ignore", "-q", name], cwd=ROOT, check=False)
        assert check.returncode == 0, f"{name} is not ignored by git"
