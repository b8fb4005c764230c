"""A 24-take provider sweep on Ray against the same sweep on local threads.

The provider is the Luma fake from tests/fakes, in this process, with jobs that take 3 s
of wall-clock time. Every sweep runs in its own fresh TAKELAB_HOME with 4 takes in flight:
- threads: the default executor, 4 threads;
- ray (own cluster): `executor="ray"` with no address, so the sweep starts a local Ray
  cluster and stops it again (that start is in the figure);
- ray (warm cluster): a 4-CPU local cluster started beforehand, joined by the sweep.
The ratios are against the threads run; Ray's overhead is the cluster's start and a task
per backend call. Target: the warm run within 1.3x of threads.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAKES = 24  # 4 variants x 6 seeds (repeats: Luma has no seed)
JOB_S = 3.0
CONCURRENCY = 4
TARGET = 1.3
KEY = "bench-luma-key-123"

PROJECT = """\
project: bench-ray
defaults:
  duration: 5
  aspect: "16:9"
  resolution: 720p
shots:
  - id: cat
    variants:
""" + "".join(
    f"      - id: v{i}\n        prompt: A black cat crosses a sunlit room, take {i},"
    " slow pan, soft morning light\n"
    for i in range(1, 5)
)


def main() -> int:
    try:
        import ray
    except ImportError:
        print("ray is not installed (pip install .[ray]): skipped")
        return 0
    sys.path.insert(0, str(ROOT / "tests"))
    from mlflow import MlflowClient

    from fakes.timed_luma import TimedLumaFake
    from takelab.sweep.run import run_sweep

    tmp = Path(tempfile.mkdtemp(prefix="takelab-bench-ray-"))
    project = tmp / "bench-ray.yaml"
    project.write_text(PROJECT)
    template = tmp / "mlflow.db"  # an empty, migrated store: created once, copied per run
    MlflowClient(tracking_uri=f"sqlite:///{template}").search_experiments()

    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("RAY_ADDRESS", None)
    os.environ["LUMAAI_API_KEY"] = KEY
    os.environ["TAKELAB_POLL_INTERVAL_S"] = "0.5"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # Ray's token for the local clusters, from the environment: none is written to ~/.ray.
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))

    def sweep(name: str, fake: TimedLumaFake, executor: str) -> float:
        home = tmp / name
        home.mkdir()
        shutil.copy(template, home / "mlflow.db")
        os.environ["TAKELAB_HOME"] = str(home)
        creates = fake.creates
        t0 = time.perf_counter()
        result = run_sweep(
            project,
            backends=["luma"],
            seeds=TAKES // 4,
            concurrency=CONCURRENCY,
            progress=False,
            executor=executor,
        )
        wall = time.perf_counter() - t0
        statuses = {o.status for o in result.outcomes}
        assert len(result.outcomes) == TAKES and statuses == {"done"}, result.summary
        assert fake.creates - creates == TAKES, "a take was created twice"
        return wall

    with TimedLumaFake(key=KEY, job_s=JOB_S).running() as fake:
        os.environ["LUMAAI_BASE_URL"] = fake.base_url
        threads = sweep("threads", fake, "threads")
        own = sweep("ray-own", fake, "ray")
        assert not ray.is_initialized(), "the sweep left its Ray cluster running"
        t0 = time.perf_counter()
        ray.init(num_cpus=CONCURRENCY, include_dashboard=False, logging_level="WARNING")
        started = time.perf_counter() - t0
        try:
            warm = sweep("ray-warm", fake, "ray")
        finally:
            ray.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"{TAKES}-take sweep, jobs of {JOB_S:g} s, {CONCURRENCY} takes in flight (wall time)")
    print(f"  threads (baseline)              {threads:6.1f} s")
    print(f"  ray, own local cluster          {own:6.1f} s   {own / threads:.2f}x")
    print(f"  ray, warm 4-CPU cluster         {warm:6.1f} s   {warm / threads:.2f}x")
    print(f"  (starting that cluster took {started:.1f} s)")
    ratio = warm / threads
    print(
        f"  warm ratio {ratio:.2f}x (target <= {TARGET}x): "
        f"{'target met' if ratio <= TARGET else 'target missed'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
