"""The widget notebooks run top to bottom under papermill, on a fresh store and on one
holding takes, and an executed notebook stays small (videos are linked, not embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

from conftest import ROOT
from takes_home import copy_home, write_project

WIDGET_NOTEBOOKS = ("01_studio", "03_dailies", "04_compare")
ONE_MB = 1_000_000


def execute(name: str, tmp_path: Path, project_file: Path) -> tuple[Path, str]:
    out = tmp_path / f"{name}.out.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(out),
        parameters={"project_file": str(project_file)},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    return out, out.read_text()


def errors(text: str) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for cell in json.loads(text)["cells"]
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


@pytest.mark.parametrize("name", WIDGET_NOTEBOOKS)
def test_notebook_runs_on_a_fresh_store(name: str, tmp_path: Path) -> None:
    project = write_project(tmp_path / "prompts")
    _, text = execute(name, tmp_path, project)
    assert not errors(text)
    expected = {
        "01_studio": "Rendered prompt",
        "03_dailies": "No finished takes for project",
        "04_compare": "No takes in MLflow for project",
    }[name]
    assert expected in text  # the widgets' state is saved in the executed notebook
    assert "application/vnd.jupyter.widget-view+json" in text


@pytest.mark.parametrize("name", ["03_dailies", "04_compare"])
def test_executed_review_notebook_with_takes_is_small(
    name: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = copy_home(tmp_path_factory, tmp_path / "home-with-takes")
    monkeypatch.setenv("TAKELAB_HOME", str(home))
    project = write_project(tmp_path / "prompts")
    out, text = execute(name, tmp_path, project)
    assert not errors(text)
    assert {"03_dailies": "take 1 of 24", "04_compare": "24 takes"}[name] in text
    assert "data:video" not in text and "video/mp4" not in text  # linked, never embedded
    assert out.stat().st_size < ONE_MB, f"{out.stat().st_size} bytes"
