"""Concurrent writers: four processes sweeping into one TAKELAB_HOME lose no take and no
MLflow run, and nobody sees "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.tracking.tracker import Tracker

pytestmark = pytest.mark.faults

PROCESSES = 4
DRIVER = (
    "import sys\n"
    "from takelab.sweep.run import run_sweep\n"
    "r = run_sweep(sys.argv[1], seeds=[int(s) for s in sys.argv[2].split(',')],"
    " backends=['previz'], progress=False, concurrency=2)\n"
    "print(r.describe())\n"
)


def test_four_processes_share_one_store(project_file: Path, takelab_home: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    # Overlapping grids: every seed is asked for by two processes at once.
    seed_sets = ["1,2", "2,3", "3,4", "4,1"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(project_file), seeds],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seeds in seed_sets[:PROCESSES]
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "database is locked" not in (out + err).lower()

    home = Home.from_env()
    takes = Journal(home.journal).takes(project="mini")
    assert len(takes) == 16  # 4 variants x 4 seeds, each once
    assert all(t.state is TakeState.DONE for t in takes), [t.state for t in takes]
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("mini")
    assert exp is not None
    runs = tracker.client.search_runs(
        [exp.experiment_id], "tags.`takelab.kind` = 'take'", max_results=1000
    )
    ids = sorted(r.data.tags["takelab.take_id"] for r in runs)
    assert ids == sorted(t.take_id for t in takes)  # one run per take, none lost
    sweeps = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'sweep'")
    assert len(sweeps) == PROCESSES and all(s.info.status == "FINISHED" for s in sweeps)
