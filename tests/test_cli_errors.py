"""Every error takelab raises on purpose is a type in errors.py, and the command line turns
each one into one clean line and its exit code, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from takelab import errors
from takelab.cli.main import _Group
from takelab.errors import TakelabError

LIB = Path(__file__).resolve().parents[1] / "lib" / "takelab"


class _Retired:
    spec, shutdown, replacement, instead = "veo:veo-2", "2026-01-01", "veo:veo-3", None


SAMPLES: list[TakelabError] = [
    errors.TakelabError("plain", hint="do this"),
    errors.PromptFileError("p.yaml", "bad field", line=3, column=5, hint="fix it"),
    errors.UsageError("bad flag"),
    errors.SettingsError([("TAKELAB_TEAM_PORT", "'x': not an integer")]),
    errors.BackendError("luma", "cannot reach"),
    errors.MissingKeyError("luma", "LUMAAI_API_KEY"),
    errors.JournalDamagedError("journal.sqlite", "not a database"),
    errors.SweepIncomplete("2 of 3 takes failed"),
    errors.BudgetError("the team journal refused: over the team budget of p"),
    errors.TakeNotFoundError("abc", matches=2),
    errors.VideoError("t.mp4", "does not decode"),
    errors.SubmitError("runway", "refused", reached_provider=False, code="400"),
    errors.ModelRetired("runway", "gen2", "404"),
    errors.OutputGoneError("luma", "job-1", "410"),
    errors.UnusableOutputError("luma", "file:// URL"),
    errors.LocalModelError("diffusers", "svd", "x/y", "TAKELAB_DIFFUSERS_SVD", "no such repo"),
    errors.ModelRetiredError(_Retired()),
    errors.CredentialsError("TAKELAB_C2PA_KEY is not set"),
    errors.CutError("no accepted take", shot="s1"),
    errors.ProjectEditError("no shot 's9'"),
    errors.NotebookError(Path("nb.ipynb"), "ValueError", "boom", exec_count=4),
    errors.TrackingStoreError(Path("mlflow.db"), "not a database"),
    errors.TeamStoreError("mlflow", "behind", upgrade_command="make team-upgrade"),
]


def test_every_error_class_is_sampled_and_lives_in_errors_py() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, TakelabError)
    }
    assert defined == {type(e).__name__ for e in SAMPLES}
    elsewhere = [
        f"{path.relative_to(LIB)}: {m.group(1)}"
        for path in LIB.rglob("*.py")
        if path.name != "errors.py"
        for m in re.finditer(r"^class (\w+)\(\w*(?:Error|Exception)\)", path.read_text(), re.M)
        if not m.group(1).startswith("_")  # private control flow (a step callback's stop)
    ]
    assert elsewhere == []


@pytest.mark.parametrize("exc", SAMPLES, ids=lambda e: type(e).__name__)
def test_a_takelab_error_is_one_line_and_its_exit_code(exc: TakelabError) -> None:
    @click.group(cls=_Group)
    def cli() -> None:
        pass

    @cli.command()
    def boom() -> None:
        raise exc

    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code == exc.exit_code != 0
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output and exc.message in lines[0]
    assert not isinstance(result.exception, TakelabError)  # handled, not propagated


def test_an_error_carrying_a_key_is_scrubbed_on_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "sk-proj-" + "Qw3rTy8Ui0Op2As4Df6Gh"
    monkeypatch.setenv("OPENAI_API_KEY", key)

    @click.group(cls=_Group)
    def cli() -> None:
        pass

    @cli.command()
    def boom() -> None:
        raise errors.BackendError("openai", f"Incorrect API key provided: {key[:-2]}..{key}")

    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code == 1 and key not in result.output and "[redacted]" in result.output


def test_an_unexpected_exception_is_not_swallowed() -> None:
    @click.group(cls=_Group)
    def cli() -> None:
        pass

    @cli.command()
    def boom() -> None:
        raise RuntimeError("a bug")

    result = CliRunner().invoke(cli, ["boom"])
    assert isinstance(result.exception, RuntimeError)  # a bug stays visible as a bug
