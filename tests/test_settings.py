"""Settings: every TAKELAB_* variable typed and documented in one place (settings.py),
read from the environment, the user's settings file or (keys only) a `.env`; a bad value
is one clear error naming the variable; `takelab doctor --settings` masks secrets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from takelab.cli import main
from takelab.errors import SettingsError, UsageError
from takelab.scrub import SECRET_NAME, scrub
from takelab.settings import (
    MASK,
    Settings,
    describe,
    secret_variables,
    settings,
    variables,
)

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "takelab"


@pytest.fixture
def no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty folder, with no repository `.env` either."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr("takelab.envfile.dotenv_paths", lambda: [work / ".env"])
    return work


def test_every_takelab_variable_in_the_library_is_a_documented_setting() -> None:
    named = set()
    for path in LIB.rglob("*.py"):
        named |= set(re.findall(r"\bTAKELAB_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    named.discard("TAKELAB_DIFFUSERS")  # the prefix of TAKELAB_DIFFUSERS_<MODEL>
    assert named - set(variables()) == set()
    for name, info in Settings.model_fields.items():
        assert info.description, name
    assert len([v for v in variables() if v.startswith("TAKELAB_")]) >= 30


def test_only_settings_and_the_secret_readers_read_the_environment_by_takelab_name() -> None:
    # The rest of the library asks `settings()`; no module reads a TAKELAB_* variable itself.
    readers = {
        str(p.relative_to(LIB))
        for p in LIB.rglob("*.py")
        if re.search(r"os\.environ(\.get)?[\[(]\s*[\"']TAKELAB_", p.read_text())
        or re.search(r"os\.environ\.get\(\w+_ENV\b", p.read_text())
    }
    # scrub sits below settings and finds the journal URL's password itself; the notebook
    # runner sets (writes) TAKELAB_HOME and the progress files for its kernel.
    assert readers <= {"settings.py", "scrub.py", "sweep/notebook_run.py"}, readers


def test_defaults(no_dotenv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in variables():
        if variable not in ("TAKELAB_HOME", "TAKELAB_SETTINGS", "TAKELAB_BACKENDS"):
            monkeypatch.delenv(variable, raising=False)
    found = settings()
    assert found.team_port == 5000 and found.pg_port == 5432
    assert found.max_project_bytes == 1_000_000 and found.max_download_mb == 1024.0
    assert found.poll_interval_s is None and found.journal_url is None
    assert found.ui_url == "http://127.0.0.1:5000" and found.diffusers_max_s == 600.0
    shown = {row.variable: row for row in describe()}
    assert shown["TAKELAB_TEAM_PORT"].value == "5000"
    assert shown["TAKELAB_TEAM_PORT"].source == "default"


def test_environment_overrides_and_is_read_again_when_it_changes(
    no_dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKELAB_TEAM_PORT", "6001")
    monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", " 0.25 ")
    assert settings().team_port == 6001 and settings().poll_interval_s == 0.25
    assert settings() is settings()  # read once while nothing changes
    monkeypatch.setenv("TAKELAB_TEAM_PORT", "6002")
    assert settings().team_port == 6002
    monkeypatch.setenv("TAKELAB_TEAM_PORT", "")  # empty counts as unset
    assert settings().team_port == 5000
    assert {r.variable: r.source for r in describe()}["TAKELAB_POLL_INTERVAL_S"] == "environment"


def test_dotenv_gives_keys_but_not_endpoints_or_code(
    no_dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REPLICATE_API_TOKEN", "TAKELAB_FAL_QUEUE_URL", "TAKELAB_MAX_DOWNLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    key = "r8_" + "Zq7Xw3Vb9Nm2Lk5Jh8Gf4Ds1"
    (no_dotenv / ".env").write_text(
        f'export REPLICATE_API_TOKEN="{key}"  # from .env\n'
        "TAKELAB_FAL_QUEUE_URL=https://evil.example/\n"
        "TAKELAB_BACKENDS=evil=os:system\n"
        "TAKELAB_MAX_DOWNLOAD_MB=3\n"
    )
    found = settings()
    assert found.replicate_api_token == key
    assert found.fal_queue_url is None and "evil" not in found.backends
    assert found.max_download_mb == 1024.0
    rows = {r.variable: r for r in describe()}
    assert rows["REPLICATE_API_TOKEN"].source == str(no_dotenv / ".env")
    assert rows["REPLICATE_API_TOKEN"].value == MASK
    # The environment wins over the file.
    monkeypatch.setenv("REPLICATE_API_TOKEN", "from-the-environment")
    assert settings().replicate_api_token == "from-the-environment"
    # Every value a .env holds is scrubbed from messages.
    assert key not in scrub(f"provider said: {key[3:]} {key}")


def test_user_settings_file_gives_non_secrets(
    no_dotenv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAKELAB_TEAM_WORKERS", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    user = tmp_path / "settings.env"
    user.write_text("TAKELAB_TEAM_WORKERS=7\nOPENAI_API_KEY=sk-not-from-here-123456789\n")
    monkeypatch.setenv("TAKELAB_SETTINGS", str(user))
    assert settings().team_workers == 7 and settings().openai_api_key is None
    assert {r.variable: r.source for r in describe()}["TAKELAB_TEAM_WORKERS"] == str(user)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TAKELAB_TEAM_PORT", "fivethousand"),
        ("TAKELAB_MAX_DOWNLOAD_MB", "-2"),
        ("TAKELAB_POLL_INTERVAL_S", "nan"),
        ("TAKELAB_DIFFUSERS_STEPS", "0"),
        ("TAKELAB_MAX_PROJECT_BYTES", "1MB"),
    ],
)
def test_bad_value_is_one_error_naming_the_variable(
    no_dotenv: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        settings()
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2
    assert info.value.variables == [variable]
    assert f"{variable}={value!r}" in str(info.value)
    assert "doctor --settings" in str(info.value)


def test_doctor_settings_masks_every_secret(
    no_dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-proj-Aa1Bb2Cc3Dd4Ee5Ff6Gg7",
        "TAKELAB_ADMIN_PASSWORD": "correct horse battery",
        "MLFLOW_TRACKING_PASSWORD": "tracking-pw-98765",
        "MLFLOW_TRACKING_TOKEN": "tok-abcdef-123456",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TAKELAB_JOURNAL_URL", "postgresql://ana:s3cr3t-pw-42@db.example:5432/tl")
    monkeypatch.setenv("TAKELAB_MAX_DOWNLOAD_MB", "12")
    result = CliRunner().invoke(main, ["doctor", "--settings"])
    assert result.exit_code == 0, result.output
    for value in [*secrets.values(), "s3cr3t-pw-42"]:
        assert value not in result.output
    assert "postgresql://ana:********@db.example:5432/tl" in result.output
    line = next(x for x in result.output.splitlines() if "TAKELAB_MAX_DOWNLOAD_MB" in x)
    assert "12" in line and "environment" in line
    for variable in variables():
        assert variable in result.output
    # The object itself never shows a secret (a log line, a traceback, a notebook cell).
    shown = repr(settings()) + str(settings())
    assert "max_download_mb=12.0" in shown
    for value in [*secrets.values(), "s3cr3t-pw-42"]:
        assert value not in shown
    # As JSON, for scripts.
    result = CliRunner().invoke(main, ["doctor", "--settings", "--format", "json"])
    assert result.exit_code == 0 and secrets["OPENAI_API_KEY"] not in result.output


def test_doctor_settings_shows_a_bad_value_and_exits_2(
    no_dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAKELAB_TEAM_WORKERS", "many")
    result = CliRunner().invoke(main, ["doctor", "--settings"])
    assert result.exit_code == 2
    assert "many" in result.output and "TAKELAB_TEAM_WORKERS" in result.output


def test_every_secret_setting_is_scrubbed_by_name() -> None:
    # scrub sits below settings (it cannot import it): it finds secrets by their names.
    for variable in secret_variables():
        assert SECRET_NAME.search(variable) or variable == "TAKELAB_JOURNAL_URL", variable


def test_a_bad_setting_from_the_command_line_is_one_line_no_traceback(
    tmp_path: Path, project_file: Path
) -> None:
    import os

    env = {**os.environ, "TAKELAB_MAX_PROJECT_BYTES": "lots"}
    proc = subprocess.run(
        [sys.executable, "-m", "takelab", "lint", str(project_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "TAKELAB_MAX_PROJECT_BYTES='lots'" in lines[0], lines
