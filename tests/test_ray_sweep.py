"""Sweeps on Ray: takes run as Ray tasks on a real local cluster, money rules in the driver.

One cluster (`ray start --head`, 4 CPUs, its own ports and temp dir) serves the module; its
workers reach a fake of Luma whose jobs last seconds, with the key in their environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.timed_luma import TimedLumaFake
from ports import free_port
from takelab.errors import UsageError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media import io as media
from takelab.sweep.run import SweepResult, run_sweep
from takelab.tracking.tracker import Tracker

pytest.importorskip("ray")

KEY = "canary-ray-key-123"
RAY = Path(sys.executable).with_name("ray")


@dataclass
class Cluster:
    address: str
    proc: subprocess.Popen[bytes]
    worker_home: Path  # the workers' TAKELAB_HOME

    def processes(self) -> dict[int, str]:
        """pid -> process title of every live process of this cluster (its own session)."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getsid(int(entry.name)) != self.proc.pid:
                    continue
                if (entry / "stat").read_text().rpartition(")")[2].split()[0] == "Z":
                    continue
                title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            except (OSError, ProcessLookupError):
                continue
            found[int(entry.name)] = title
        return found

    def stop(self) -> None:
        """SIGKILL every process of the cluster (SIGTERM makes Ray drain for 30 s)."""
        deadline = time.monotonic() + 20
        while (left := self.processes()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def fake() -> Iterator[TimedLumaFake]:
    with TimedLumaFake(key=KEY, job_s=4.0, poll_delay_s=0.4).running() as f:
        yield f


@pytest.fixture(scope="module")
def driver_env() -> Iterator[None]:
    """This process joins the test cluster by address, without Ray's token (see below)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RAY_AUTH_MODE", raising=False)
        mp.delenv("RAY_ADDRESS", raising=False)
        yield


@pytest.fixture(scope="module")
def cluster(fake: TimedLumaFake, driver_env: None) -> Iterator[Cluster]:
    """A head node in its own session and temp dir, killed (every process) at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="tlray", dir="/tmp"))  # short: Ray's socket paths
    env = {
        **os.environ,
        "LUMAAI_API_KEY": KEY,
        "LUMAAI_BASE_URL": fake.base_url,
        "TAKELAB_HOME": str(tmp / "worker-home"),
        "RAY_USAGE_STATS_ENABLED": "0",
        # A throwaway cluster for this module only. Ray reads its auth mode when imported,
        # and this process imported Ray before the module started, so it cannot switch to
        # token mode here; and a token file would land in the user's ~/.ray.
        "RAY_AUTH_MODE": "disabled",
    }
    port = free_port()
    ports = {
        "--port": port,
        "--ray-client-server-port": free_port(),
        "--dashboard-port": free_port(),
        "--dashboard-agent-listen-port": free_port(),
        "--dashboard-agent-grpc-port": free_port(),
        "--runtime-env-agent-port": free_port(),
        "--metrics-export-port": free_port(),
    }
    log = tmp / "ray-start.log"
    args = [str(RAY), "start", "--head", "--block", "--num-cpus", "4", "--disable-usage-stats"]
    args += ["--include-dashboard=false", "--include-log-monitor=false", "--temp-dir", str(tmp)]
    args += [str(a) for kv in ports.items() for a in kv]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    c = Cluster(f"127.0.0.1:{port}", proc, tmp / "worker-home")
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        yield c
    finally:
        c.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    assert not c.processes(), "processes of the test cluster are still running"


def luma_project(folder: Path, name: str) -> Path:
    """Two variants; the prompts carry `name`, so that the fake's job list (shared by the
    module's tests, each with its own journal) matches no other test's jobs."""
    path = folder / "proj" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""\
project: {name}
defaults:
  duration: 5
  aspect: "16:9"
  resolution: 720p
shots:
  - id: cat
    variants:
      - id: v1
        prompt: A black cat stretches on a windowsill ({name}), static close-up, golden light
      - id: v2
        prompt: A black cat jumps down from a windowsill ({name}), slow pan, morning light
"""
    )
    return path


def take_runs(project: str) -> list:  # type: ignore[type-arg]
    tracker = Tracker(Home.from_env())
    exp = tracker.client.get_experiment_by_name(project)
    assert exp is not None
    query = "tags.`takelab.kind` = 'take'"
    return list(tracker.client.search_runs([exp.experiment_id], query))


# -- errors, before any cluster ----------------------------------------------------------


def test_an_unreachable_address_is_a_usage_error_before_anything_runs(project_file: Path) -> None:
    port = free_port()  # nothing listens on it
    with pytest.raises(UsageError, match=f"cannot reach a Ray cluster at 127.0.0.1:{port}"):
        run_sweep(project_file, progress=False, executor="ray", ray_address=f"127.0.0.1:{port}")
    assert not Home.from_env().journal.exists() or not Journal(Home.from_env().journal).takes()

    from takelab.cli import main

    res = CliRunner().invoke(
        main,
        ["sweep", str(project_file), "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"],
    )
    assert res.exit_code == 2
    assert "cannot reach a Ray cluster" in res.output and "Traceback" not in res.output


def test_without_ray_installed_the_error_says_how_to_install_it(
    project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(UsageError, match=r"not installed.*takelab\[ray\]"):
        run_sweep(project_file, progress=False, executor="ray")
    with pytest.raises(UsageError, match="unknown executor"):
        run_sweep(project_file, progress=False, executor="dask")


# -- on the cluster ----------------------------------------------------------------------


def test_a_worker_killed_mid_poll_leaves_every_take_done_once(
    cluster: Cluster,
    fake: TimedLumaFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.3")  # the driver's poll loop
    monkeypatch.delenv("LUMAAI_API_KEY", raising=False)  # only the workers hold the key
    path = luma_project(tmp_path, "ray-kill")
    takes = 4  # 2 variants x 2 seeds (repeats: Luma has no seed)
    creates = fake.creates
    results: list[SweepResult] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            results.append(
                run_sweep(
                    path,
                    backends=["luma"],
                    seeds=2,
                    concurrency=takes,
                    progress=False,
                    executor="ray",
                    ray_address=cluster.address,
                )
            )
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=sweep)
    thread.start()
    killed: str | None = None
    deadline = time.monotonic() + 60
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        if fake.creates - creates >= takes:  # every create is in: now catch a poll
            for pid, title in cluster.processes().items():
                if title.startswith("ray::takelab_poll"):
                    os.kill(pid, signal.SIGKILL)
                    killed = title
                    break
        time.sleep(0.05)
    thread.join(timeout=120)
    assert not thread.is_alive() and not errors, errors
    assert killed is not None, "no worker was seen inside a poll"

    outcomes = results[0].outcomes
    assert [o.status for o in outcomes] == ["done"] * takes, results[0].summary
    assert fake.creates - creates == takes  # one create per take, none repeated
    journal = Journal(Home.from_env().journal)
    for o in outcomes:
        record = journal.get(o.take_id)
        assert record is not None and record.state is TakeState.DONE
        assert record.job_id in fake.generations
        assert o.path and media.check_decodes(Path(o.path)).frames > 0
    assert len({r.job_id for r in map(journal.get, [o.take_id for o in outcomes])}) == takes
    runs = take_runs("ray-kill")
    assert sorted(r.data.tags["takelab.take_id"] for r in runs) == sorted(
        o.take_id for o in outcomes
    )


def test_a_worker_killed_inside_a_create_call_leaves_the_take_uncertain_never_resent(
    cluster: Cluster,
    fake: TimedLumaFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.3")
    monkeypatch.setattr(fake, "create_delay_s", 3.0)  # the job exists, the reply waits
    path = luma_project(tmp_path, "ray-submit")
    creates = fake.creates
    killed: list[str] = []

    def kill_the_submitter() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            if fake.creates > creates:
                for pid, title in cluster.processes().items():
                    if title.startswith("ray::takelab_submit"):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(title)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_submitter)
    killer.start()
    kwargs = {"variants": ["cat/v1"], "progress": False, "executor": "ray"}
    first = run_sweep(path, backends=["luma"], ray_address=cluster.address, **kwargs)
    killer.join()
    assert killed, "no worker was seen inside a create call"
    (outcome,) = first.outcomes
    assert outcome.status == "uncertain"  # Ray did not run the create call again
    assert fake.creates - creates == 1

    # The rerun finds the job at the provider (Luma lists jobs) and resumes it.
    monkeypatch.setattr(fake, "create_delay_s", 0.0)
    again = run_sweep(path, backends=["luma"], ray_address=cluster.address, **kwargs)
    assert [o.status for o in again.outcomes] == ["done"], again.summary
    assert fake.creates - creates == 1
    record = Journal(Home.from_env().journal).get(outcome.take_id)
    assert record is not None and record.state is TakeState.DONE
    assert len(take_runs("ray-submit")) == 1


def test_takelab_sweep_executor_ray_renders_previz_on_the_workers(
    cluster: Cluster, project_file: Path
) -> None:
    from takelab.cli import main

    args = ["sweep", str(project_file), "--executor", "ray", "--ray-address", cluster.address]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "4 done" in res.output
    home = Home.from_env()
    # Previz renders into its home's scratch: the workers', never the driver's (the kernel).
    assert (cluster.worker_home / "tmp" / "previz").is_dir()
    assert not (home.tmp / "previz").exists()
    takes = Journal(home.journal).takes(project="mini")
    assert len(takes) == 4 and {t.state for t in takes} == {TakeState.DONE}
    for t in takes:
        assert t.path and media.check_decodes(Path(t.path)).width == 854
    assert len(take_runs("mini")) == 4
    tracker = Tracker(home)
    exp = tracker.client.get_experiment_by_name("mini")
    assert exp is not None
    (sweep_run,) = tracker.client.search_runs([exp.experiment_id], "tags.`takelab.kind` = 'sweep'")
    assert sweep_run.data.params["executor"] == "ray"
