"""A new MLflow store: takelab's atomic copy of a migrated template against MLflow making
the store in place (its own first open), in the same process, alternating.

The first takelab store also builds the template (once per MLflow schema); every later
one is a checked copy and a rename. Targets: a store from the template at most 0.1x of
MLflow's in-place migration; the first one (template included) at most 1.3x.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET_COPY = 0.1
TARGET_FIRST = 1.3


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="takelab-bench-store-"))
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    from mlflow import MlflowClient

    from takelab.home import Home
    from takelab.tracking.store import CACHE_ENV, ensure_store, head_revision
    from takelab.tracking.tracker import quiet_mlflow

    quiet_mlflow()
    head_revision()  # both sides need MLflow's migration scripts parsed; not timed
    plain: list[float] = []
    first: list[float] = []
    copies: list[float] = []
    for i in range(ROUNDS):
        db = tmp / f"plain-{i}" / "mlflow.db"
        db.parent.mkdir()
        started = time.perf_counter()
        MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments(max_results=1)
        plain.append(time.perf_counter() - started)

        os.environ[CACHE_ENV] = str(tmp / f"cache-{i}")  # no template yet
        started = time.perf_counter()
        ensure_store(Home(tmp / f"first-{i}"))
        first.append(time.perf_counter() - started)

        started = time.perf_counter()
        ensure_store(Home(tmp / f"copy-{i}"))  # the template of this round exists now
        copies.append(time.perf_counter() - started)
    base = statistics.median(plain)
    copy_ratio = statistics.median(copies) / base
    first_ratio = statistics.median(first) / base
    print(f"MLflow makes a store in place: {base:.2f} s (median of {ROUNDS})")
    print(
        f"takelab, first store (template built): {statistics.median(first):.2f} s,"
        f" {first_ratio:.2f}x (target <= {TARGET_FIRST}x)"
    )
    print(
        f"takelab, from the template: {statistics.median(copies) * 1000:.0f} ms,"
        f" {copy_ratio:.3f}x (target <= {TARGET_COPY}x)"
    )
    return 0 if copy_ratio <= TARGET_COPY and first_ratio <= TARGET_FIRST else 1


if __name__ == "__main__":
    sys.exit(main())
