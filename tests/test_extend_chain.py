"""Extend chains takes: the new take records its parent (journal request, MLflow param
`parent_take`), Dailies shows the chain both ways, and the cut's description and OTIO
clip metadata name the parent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from takelab.home import Home
from takelab.journal.store import Journal
from takelab.post import make_cut
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import take_params
from takelab.widgets import Dailies

BASE = """\
project: chain
defaults: {duration: 1, aspect: "16:9", resolution: 480p}
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman walks toward the camera at night, static wide shot
"""
MORE = """\
  - id: walk-on
    variants:
      - id: v1
        prompt: The woman keeps walking past the camera, static wide shot
        extend: {parent}
cut:
  shots: [walk, walk-on]
"""


def test_an_extended_take_records_and_shows_its_parent(
    tmp_path: Path, mlflow_store_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_dir = tmp_path / "store"
    home_dir.mkdir()
    shutil.copy(mlflow_store_template, home_dir / "mlflow.db")
    monkeypatch.setenv("TAKELAB_HOME", str(home_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    home = Home(home_dir)
    project = tmp_path / "chain.yaml"
    project.write_text(BASE)
    first = run_sweep(project, progress=False, home=home)
    (parent,) = [o.take_id for o in first.outcomes]
    project.write_text(BASE + MORE.format(parent=parent[:10]))
    second = run_sweep(project, progress=False, home=home)
    assert second.counts["done"] == 1, second.describe()
    child = next(o.take_id for o in second.outcomes if o.take_id != parent)

    journal = Journal(home.journal_url)
    record = journal.get(child)
    assert record is not None and record.request.extend == parent
    assert take_params(record)["parent_take"] == parent
    assert "parent_take" not in take_params(journal.find(parent))

    dailies = Dailies("chain", home=home)
    dailies.index = [r.take_id for r in dailies.records].index(child)
    dailies._render_single()
    assert f"extends <code>{parent}</code>" in dailies.info.value
    dailies.index = [r.take_id for r in dailies.records].index(parent)
    dailies._render_single()
    assert f"continued by <code>{child}</code>" in dailies.info.value

    for take_id in (parent, child):
        record_verdict(take_id, "accept", home=home)
    result = make_cut(project, progress=False, home=home, sign=False)
    described = json.loads(result.description.read_text())
    assert [s["parent_take"] for s in described["segments"]] == [None, parent]
    otio_text = result.timelines["otio"].read_text()
    assert f'"parent_take": "{parent}"' in otio_text
