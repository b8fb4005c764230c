"""Issue 19: trust boundaries, against a provider fake that lies on purpose
(fakes/hostile_fake.py): it echoes the key in its errors, charges negative, inflated and
absurd amounts, streams endless or huge bodies, redirects to another local service and
returns file:// URLs. Also: one scrub function, base URLs never from a project's `.env`,
and the exit-code contract of `takelab sweep`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.hostile_fake import Bystander, HostileRunway
from provider_keys import files_holding, no_keys, walk_project
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.scrub import REDACTED, scrub
from takelab.sweep.run import SweepResult, run_sweep

PRICE = 0.48  # gen4.5: 12 credits/s x 4 s at $0.01


@pytest.fixture
def key() -> str:
    # Looks like no provider's key: only its value can give it away.
    return f"plain{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fake(key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HostileRunway]:
    no_keys(monkeypatch, tmp_path, "RUNWAYML_BASE_URL")
    with HostileRunway(key).running() as f:
        monkeypatch.setenv("RUNWAYML_API_SECRET", key)
        monkeypatch.setenv("RUNWAYML_BASE_URL", f.url)
        yield f


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return walk_project(tmp_path / "proj", "hostile")


def sweep(project: Path, **kwargs: object) -> SweepResult:
    args: dict[str, object] = {"backends": ["runway"], "progress": False, "concurrency": 1}
    return run_sweep(project, **{**args, **kwargs})  # type: ignore[arg-type]


# -- secrets --------------------------------------------------------------------------


def test_scrub_removes_key_values_and_key_shapes_but_keeps_ids() -> None:
    text = (
        "Incorrect API key provided: Bearer key_0123456789abcdefABCDEF; sk-proj-AbC123dEf456gHi"
        " api_key=hunter22 https://u:pw123456@h/x?X-Amz-Signature=0f3a9"
        " zQ9xL3kP0aB7nM2cV5bN8mK1jH4gF6dS myplainvalue take 0123456789abcdef"
        " job 00000000-0000-4000-8000-000000000001 sha " + "ab" * 32
    )
    clean = scrub(text, keys=["myplainvalue"])
    for secret in (
        "key_0123456789abcdef",
        "sk-proj-AbC123",
        "hunter22",
        "pw123456",
        "0f3a9",
        "zQ9xL3kP0aB7",
        "myplainvalue",
    ):
        assert secret not in clean, (secret, clean)
    assert clean.count(REDACTED) >= 7
    for kept in ("0123456789abcdef", "00000000-0000-4000-8000-000000000001", "ab" * 32):
        assert kept in clean


@pytest.mark.faults
@pytest.mark.parametrize(
    ("echo", "status"),
    [("create-401", "failed"), ("create-500", "uncertain"), ("task", "failed")],
)
def test_a_key_echoed_by_the_provider_is_stored_nowhere(
    fake: HostileRunway,
    project: Path,
    key: str,
    echo: str,
    status: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mlflow import MlflowClient

    fake.echo = echo
    fake.outcome = "failure"
    result = sweep(project)
    (out,) = result.outcomes
    assert out.status == status, out
    assert REDACTED in out.message  # the provider's words are kept, the key is not
    home = Home.from_env()
    record = Journal(home.journal).get(out.take_id)
    assert record is not None and record.error_message and key not in record.error_message
    client = MlflowClient(tracking_uri=home.tracking_uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    errors = [r.data.tags.get("takelab.error", "") for r in runs]
    assert any(REDACTED in e for e in errors), errors  # tagged, scrubbed
    assert list(home.artifacts.rglob("takes.csv")), "takes.csv was logged"
    assert files_holding(home.root, key) == []  # journal, MLflow store, artifacts
    printed = capsys.readouterr()
    assert key not in printed.out + printed.err + caplog.text
    assert key not in json.dumps([o.message for o in result.outcomes] + result.warnings)


# -- endpoints ------------------------------------------------------------------------


@pytest.mark.faults
def test_a_base_url_in_a_project_dotenv_is_ignored_and_the_real_host_is_named(
    fake: HostileRunway, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Bystander().running() as thief:
        # The project folder's .env points the key at another server; the user's own
        # environment points at the (fake) provider.
        (project.parent / ".env").write_text(f"RUNWAYML_BASE_URL={thief.url}\n")
        monkeypatch.chdir(project.parent)
        result = sweep(project)
        assert [o.status for o in result.outcomes] == ["done"]
        assert thief.hits == 0
    host = fake.url.split("://")[1]
    notices = [w for w in result.warnings if host in w]
    assert len(notices) == 1 and "from the environment" in notices[0], result.warnings
    assert any(".env" in w and "ignored" in w for w in result.warnings), result.warnings


@pytest.mark.faults
def test_a_base_url_from_the_settings_file_is_used_and_named(
    fake: HostileRunway, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takelab.backends import get_backend

    settings = tmp_path / "settings.env"
    settings.write_text(f"RUNWAYML_BASE_URL={fake.url}\n")
    monkeypatch.setenv("TAKELAB_SETTINGS", str(settings))
    monkeypatch.delenv("RUNWAYML_BASE_URL")
    backend = get_backend("runway")
    assert backend.api_url() == fake.url  # type: ignore[attr-defined]
    result = sweep(project)
    assert [o.status for o in result.outcomes] == ["done"]
    assert any(str(settings) in w for w in result.warnings), result.warnings


# -- money ----------------------------------------------------------------------------


@pytest.mark.faults
@pytest.mark.parametrize(
    ("credits", "flag"), [(-30000, "charge-invalid"), (10**6, "charge-absurd")]
)
def test_a_negative_or_absurd_charge_is_booked_at_the_table_price(
    fake: HostileRunway, project: Path, credits: int, flag: str
) -> None:
    fake.credits = credits
    result = sweep(project, budget_usd=5.0)
    (out,) = result.outcomes
    assert out.status == "done"
    assert out.cost_usd == pytest.approx(PRICE)
    record = Journal(Home.from_env().journal).get(out.take_id)
    assert record is not None and flag in record.flags
    assert any("table price" in w for w in result.warnings), result.warnings
    assert result.spend_usd == pytest.approx(PRICE)  # never $-300, never $10,000


@pytest.mark.faults
def test_a_charge_above_its_reservation_raises_later_reservations(
    fake: HostileRunway, project: Path
) -> None:
    fake.credits = 100  # $1.00 for takes reserved at $0.48
    result = sweep(project, budget_usd=2.0, seeds=4)
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["done", "done", "over-budget", "over-budget"], statuses
    assert result.spend_usd == pytest.approx(2.0)  # not $4.00
    over = [w for w in result.warnings if "above the" in w]
    assert over and "$1.00" in over[0] and "$0.48" in over[0], result.warnings
    assert result.exit_code == 3 and result.verdict == "incomplete"


# -- downloads ------------------------------------------------------------------------


@pytest.mark.faults
@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("endless", "cap"),
        ("huge", "cap"),
        ("redirect", "internal address"),
        ("loop", "redirects"),
        ("file", "scheme 'file'"),
        ("http-public", "plain http"),
    ],
)
def test_an_unusable_output_fails_the_take_with_a_reason_and_leaves_nothing(
    fake: HostileRunway,
    project: Path,
    output: str,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAKELAB_MAX_DOWNLOAD_MB", "2")
    with Bystander().running() as other:
        fake.output, fake.redirect_to = output, other.url
        (out,) = sweep(project).outcomes
        assert other.hits == 0  # another local service is never reached
    assert out.status == "failed", out
    assert words in out.message, out.message
    assert fake.served_bytes < 64 * 1024 * 1024  # the endless body was cut off
    home = Home.from_env()
    record = Journal(home.journal).get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "bad-url"
    assert list(home.tmp.rglob("*.part")) == [] and not home.take_dir(out.take_id).exists()
    creates = fake.creates
    again = sweep(project).outcomes  # settled: never retried, never left pending
    assert [o.status for o in again] == ["failed"] and fake.creates == creates


# -- exit codes -----------------------------------------------------------------------


@pytest.mark.faults
def test_takelab_sweep_exits_3_when_takes_fail_and_the_notebook_says_so(
    fake: HostileRunway, project: Path, key: str
) -> None:
    fake.echo = "create-401"
    proc = subprocess.run(
        [sys.executable, "-m", "takelab", "sweep", str(project), "--backend", "runway"],
        capture_output=True,
        text=True,
        cwd=project.parent,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, output
    assert "incomplete" in proc.stderr and "Traceback" not in output
    assert key not in output
    (notebook,) = Home.from_env().sweeps.glob("*.ipynb")
    cells = json.loads(notebook.read_text())["cells"]
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert [e["ename"] for e in errors] == ["SweepIncomplete"]
    assert key not in notebook.read_text()


def test_the_exit_codes_are_documented_in_sweep_help() -> None:
    from click.testing import CliRunner

    from takelab.cli import main

    text = CliRunner().invoke(main, ["sweep", "--help"]).output
    for code in ("0 ", "2 ", "3 ", "130"):
        assert code in text, text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "## Security" in readme and "exit code" in readme.lower()
