"""Issue 5, item 5: MLflow down.

A real `mlflow server` on loopback is the tracking store. With it stopped, a sweep still
generates and journals its takes and says MLflow is unreachable; once the server is back
(same port, same store), `takelab sync` logs every take exactly once, artifacts included
(through the server's artifact proxy), and a second sync has nothing left to log.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ports import free_port
from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.review.sync import sync
from takelab.review.verdicts import record_verdict
from takelab.sweep.run import run_sweep
from takelab.tracking.tracker import TAKE_ARTIFACTS, Tracker

MLFLOW = Path(sys.executable).with_name("mlflow")


class Server:
    """`mlflow server` on a SQLite store and a local artifact root, started and stopped."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.artifacts = root / "art"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        cmd = [
            str(MLFLOW),
            "server",
            "--backend-store-uri",
            f"sqlite:///{self.root / 'srv.db'}",
            "--artifacts-destination",
            str(self.artifacts),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        # The GenAI job runner is a second tree of processes no take needs.
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        log = (self.root / "server.log").open("ab")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        tail = (self.root / "server.log").read_text(errors="replace")[-2000:]
        self.stop()
        pytest.fail(f"mlflow server did not come up on {self.url}:\n{tail}")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        # Gone means refused: nothing answers on the port any more.
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", self.port)) != 0


@pytest.fixture
def server(tmp_path: Path, mlflow_store_template: Path) -> Iterator[Server]:
    root = tmp_path / "mlflow-server"
    root.mkdir()
    # A migrated, empty store: the server's first start skips the migrations.
    shutil.copy(mlflow_store_template, root / "srv.db")
    srv = Server(root, free_port())
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.faults
def test_a_sweep_survives_mlflow_down_and_sync_logs_it_later(
    server: Server, project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    server.start()
    server.stop()

    # 1. The server is down: the sweep still makes and journals every take, and says so.
    # It finds out once, at set-up, and then no take waits on MLflow: no take is sent to
    # it, and one warning says so (how long this takes is benchmarks/bench_mlflow_down.py).
    logged: list[str] = []
    log_take = Tracker.log_take

    def counting(self: Tracker, record: TakeRecord, **kwargs: Any) -> str:
        logged.append(record.take_id)
        return log_take(self, record, **kwargs)

    monkeypatch.setattr(Tracker, "log_take", counting)
    result = run_sweep(project_file, seeds=1, progress=False)
    monkeypatch.setattr(Tracker, "log_take", log_take)
    assert result.counts == {"done": 4}, result.summary
    assert logged == [], "takes waited on an MLflow the set-up knew was down"
    assert sum("MLflow is unreachable" in w for w in result.warnings) == 1, result.warnings
    assert result.sweep_run_id is None
    assert any("MLflow is unreachable" in w for w in result.warnings), result.warnings
    home = Home.from_env()
    journal = Journal(home.journal)
    takes = journal.takes(project="mini")
    assert {t.take_id for t in takes} == {o.take_id for o in result.outcomes}
    for take in takes:
        assert take.state is TakeState.DONE and not take.logged
        assert take.path and Path(take.path).is_file()
    # A verdict given while MLflow is down stays in the journal too.
    verdict = record_verdict(takes[0].take_id, "reject", ["static"], "nothing moves")
    assert not verdict.logged
    # So does a preference between two takes.
    from takelab.review.preferences import record_preference

    preference = record_preference(takes[0].take_id, takes[1].take_id, "b", "it moves")
    assert not preference.logged

    # 2. The server is back on the same port and store: sync logs each take once.
    server.start()
    report = sync()
    assert report.errors == [], report.errors
    assert report.takes_logged == 4
    assert report.verdicts_logged >= 1
    assert report.preferences_logged == 1
    client = MlflowClient(tracking_uri=server.url)
    exp = client.get_experiment_by_name("mini")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")
    by_take = {r.data.tags["takelab.take_id"]: r for r in runs}
    assert len(runs) == len(by_take) == 4, "one run per take id"
    assert set(by_take) == {t.take_id for t in takes}
    for take in journal.takes(project="mini"):
        assert take.logged and take.run_id == by_take[take.take_id].info.run_id
        run = by_take[take.take_id]
        assert run.data.tags["takelab.status"] == "done"
        assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
        assert {a.path for a in client.list_artifacts(run.info.run_id)} >= set(TAKE_ARTIFACTS)
        # The files went through the server's artifact proxy into its destination.
        stored = {p.name for p in server.artifacts.rglob("*") if run.info.run_id in p.parts}
        assert set(TAKE_ARTIFACTS) <= stored
    rejected = by_take[takes[0].take_id]
    assert rejected.data.tags["takelab.verdict"] == "reject"
    assert rejected.data.metrics["accepted"] == 0.0
    preferred = by_take[takes[1].take_id]
    assert preferred.data.tags["takelab.preferences"] == "1"
    assert preferred.data.metrics["preference_wins"] == 1.0
    assert not (home.artifacts / "mini").exists(), "takes were logged to the local store"

    # 3. Nothing is logged twice.
    again = sync()
    assert (again.takes_logged, again.verdicts_logged, again.errors) == (0, 0, [])
    assert again.preferences_logged == 0
    assert len(client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'take'")) == 4
