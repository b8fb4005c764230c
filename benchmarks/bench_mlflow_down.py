"""A sweep while MLflow is down, against the same sweep with MLflow up (a local store).

With the tracking server unreachable a sweep must still make and journal every take,
and it should not wait on MLflow per take: it finds out once, at set-up. Both sweeps run
in this process on fresh homes, alternating, so the ratio is what an unreachable MLflow
costs. Target: at most 1.5x. (tests/test_faults_mlflow.py asserts the behaviour.)

Run: .venv/bin/python benchmarks/bench_mlflow_down.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from takelab.sweep.run import run_sweep
    from takes_home import SMALL_PROJECT

    tmp = Path(tempfile.mkdtemp(prefix="takelab-bench-mlflow-down-"))
    project = tmp / "mini.yaml"
    project.write_text(SMALL_PROJECT)
    down_url = f"http://127.0.0.1:{closed_port()}"
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "3"

    def sweep(name: str, tracking_uri: str | None) -> float:
        os.environ["TAKELAB_HOME"] = str(tmp / name)
        if tracking_uri is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        t0 = time.perf_counter()
        result = run_sweep(project, seeds=1, progress=False)
        took = time.perf_counter() - t0
        assert result.counts == {"done": 4}, result.summary
        return took

    up: list[float] = []
    down: list[float] = []
    for i in range(args.rounds):
        up.append(sweep(f"up-{i}", None))
        down.append(sweep(f"down-{i}", down_url))
    base, slow = statistics.median(up), statistics.median(down)
    ratio = slow / base
    print(f"sweep, MLflow up (local store): {base:.2f} s (median of {args.rounds})")
    print(f"sweep, MLflow unreachable:      {slow:.2f} s")
    print(f"ratio: {ratio:.2f}x (target <= {TARGET}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
