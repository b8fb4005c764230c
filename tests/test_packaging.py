"""The project's own files keep their promises: conda and pip agree, notebooks are clean."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(r) for r in pyproject["dependencies"]}
    for extra in ("dev", "providers", "team", "ray", "local"):
        wanted |= {_norm(r) for r in pyproject["optional-dependencies"][extra]}
    env = YAML(typ="safe").load((ROOT / "environment.yml").read_text())
    listed = [d for d in env["dependencies"] if isinstance(d, str)]
    listed += [p for d in env["dependencies"] if isinstance(d, dict) for p in d.get("pip", [])]
    # Python and pip themselves are not dependencies (python-dotenv is).
    conda = {_norm(d) for d in listed if not d.startswith("-")}
    conda = {d for d in conda if d[0] not in ("python", "pip")}
    assert conda == wanted, {
        "only in environment.yml": conda - wanted,
        "only in pyproject": wanted - conda,
    }
    assert "conda-forge" in env["channels"]
    assert any(isinstance(d, dict) and "pip" in d for d in env["dependencies"])


def test_committed_notebooks_have_no_outputs(tmp_path: Path) -> None:
    check = ROOT / "tests" / "check_notebooks.py"
    ok = subprocess.run([sys.executable, str(check), str(ROOT / "notebooks")], capture_output=True)
    assert ok.returncode == 0, ok.stdout.decode()
    # ...and the check itself catches a notebook with outputs.
    nb = (ROOT / "notebooks" / "02_sweep.ipynb").read_text()
    dirty = nb.replace('"execution_count": null', '"execution_count": 3', 1)
    assert dirty != nb
    (tmp_path / "x.ipynb").write_text(dirty)
    bad = subprocess.run([sys.executable, str(check), str(tmp_path)], capture_output=True)
    assert bad.returncode == 1
    assert b"x.ipynb" in bad.stdout


def test_gitignore_keeps_generated_data_and_secrets_out() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ("runs/*", "!runs/README.md", ".venv/", ".env"):
        assert entry in ignored
