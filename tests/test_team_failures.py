"""A wrong login or a stopped team server: every client command says so in one line with a
hint, exits non-zero, and spends nothing (issue 20)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.luma_fake import LumaFake
from ports import free_port
from team_server import TeamServer

KEY = "canary-secret-789"
COMMANDS = {
    "takes": ["takes"],
    "sync": ["sync"],
    "doctor": ["doctor"],
    "sweep": ["sweep", "{project}", "--backend", "luma"],
    "verdict": ["verdict", "abcdef12", "accept"],
}


def _env(server: TeamServer, home: Path, case: str, luma: LumaFake) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "TAKELAB_JOURNAL", "TAKELAB_HOME", "TAKELAB_ADMIN"))
    }
    env.update(server.members["bob"])
    env.update(
        TAKELAB_HOME=str(home),
        LUMAAI_API_KEY=KEY,
        LUMAAI_BASE_URL=luma.base_url,
        # One try, not MLflow's minutes of retries, for a server that is not there.
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="10",
    )
    url = env["TAKELAB_JOURNAL_URL"]
    if case == "wrong journal password":
        user, rest = url.split("://", 1)[1].split(":", 1)
        env["TAKELAB_JOURNAL_URL"] = f"postgresql://{user}:wrong-pass-1234@{rest.split('@', 1)[1]}"
    elif case == "wrong MLflow password":
        env["MLFLOW_TRACKING_PASSWORD"] = "wrong-pass-1234"
    elif case == "stopped MLflow":
        env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{free_port()}"
    elif case == "stopped server":  # nothing listens on either port
        env["TAKELAB_JOURNAL_URL"] = url.replace(
            f":{url.split(':')[3].split('/')[0]}/", f":{free_port()}/"
        )
        env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{free_port()}"
    return env


@pytest.mark.parametrize(
    "case",
    ["wrong journal password", "wrong MLflow password", "stopped MLflow", "stopped server"],
)
def test_every_command_fails_in_one_line_on_a_refused_or_stopped_server(
    team_server: TeamServer, tmp_path: Path, case: str
) -> None:
    project = tmp_path / "p.yaml"
    project.write_text(
        "project: refused\nbudget_usd: 5\ndefaults: {duration: 5, aspect: '16:9',"
        " resolution: 720p}\nshots:\n  - id: cat\n    variants:\n      - id: v1\n"
        "        subject: a black cat\n        action: stretches, then turns its head\n"
        "        camera: static close-up\n        lighting: golden hour sun\n"
    )
    with LumaFake(key=KEY, steps=2).running() as luma:
        env = _env(team_server, tmp_path / "home", case, luma)
        for name, args in COMMANDS.items():
            if name == "takes" and case in ("wrong MLflow password", "stopped MLflow"):
                continue  # listing reads the journal only
            if name in ("sweep", "verdict") and case == "stopped MLflow":
                continue  # by design they go on: the journal has it, `sync` logs it later
            argv = [a.format(project=project) for a in args]
            done = subprocess.run(
                [sys.executable, "-m", "takelab.cli", *argv],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("error:")]
            assert done.returncode != 0, (name, done.stdout, done.stderr)
            assert "Traceback" not in done.stderr, (name, done.stderr)
            assert len(errors) == 1 and len(lines) <= 2, (name, done.stderr)
            assert "(" in errors[0], (name, errors[0])  # the hint
            if case == "wrong MLflow password":
                assert "401" in errors[0] and "unreachable" not in errors[0], (name, errors[0])
        assert luma.creates == 0  # nothing was spent


def test_a_401_stops_a_notebook_sweep_before_any_spending(
    team_server: TeamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takelab.errors import TakelabError
    from takelab.sweep.run import run_sweep

    project = tmp_path / "p.yaml"
    project.write_text(
        "project: refused2\nshots:\n  - id: cat\n    variants:\n      - id: v1\n"
        "        prompt: a black cat stretches in golden light, static close-up, 5 seconds\n"
    )
    with LumaFake(key=KEY, steps=2).running() as luma:
        for key, value in team_server.members["bob"].items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-pass-1234")
        monkeypatch.setenv("LUMAAI_API_KEY", KEY)
        monkeypatch.setenv("LUMAAI_BASE_URL", luma.base_url)
        with pytest.raises(TakelabError, match="401") as err:
            run_sweep(project, backends=["luma"], progress=False)
        assert "unreachable" not in str(err.value)
        assert luma.creates == 0
