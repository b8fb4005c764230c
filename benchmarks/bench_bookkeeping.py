"""Per-take bookkeeping (journal + MLflow) against plain MLflow logging of the same run.

Both sides log the same params, metrics, tags and files into one fresh local store, in
the same process, alternating, so the ratio is what takelab's journal and contract add.
Target: at most 1.5x.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TAKES = int(os.environ.get("BENCH_TAKES", "30"))
TARGET = 1.5


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="takelab-bench-"))
    os.environ["TAKELAB_HOME"] = str(tmp / "home")
    os.environ.pop("MLFLOW_TRACKING_URI", None)

    import mlflow

    from takelab.backends import TakeRequest
    from takelab.home import Home
    from takelab.journal.store import Journal, TakeState
    from takelab.tracking.tracker import Tracker, take_params, verdict_tags

    home = Home.from_env().ensure()
    journal = Journal(home.journal)
    tracker = Tracker(home)
    exp_id = tracker.experiment_id("bench")
    mlflow.set_tracking_uri(home.tracking_uri)

    # A take folder as a sweep leaves it: a small video and its previews.
    files = tmp / "files"
    files.mkdir()
    for name, size in (
        ("take.mp4", 400_000),
        ("preview.gif", 150_000),
        ("contact_sheet.png", 200_000),
        ("request.json", 600),
        ("prompt.txt", 200),
    ):
        (files / name).write_bytes(os.urandom(size))

    def request(i: int) -> TakeRequest:
        return TakeRequest(
            project="bench",
            shot="s",
            variant="v",
            prompt=f"a cat walks, take {i}",
            backend="previz",
            model="animatic",
            duration_s=8.0,
            aspect="16:9",
            resolution="720p",
            seed=i,
        )

    def takelab_take(i: int) -> None:
        req = request(i)
        journal.claim(req, 0.0, sweep_id="bench", meta={"lint": ["no-camera"]})
        journal.mark_submitting(req.take_id)
        journal.record_job(req.take_id, f"job-{i}")
        journal.settle(
            req.take_id,
            TakeState.DONE,
            cost_usd=0.0,
            path=str(files / "take.mp4"),
            sha256="0" * 64,
            latency_s=1.0,
        )
        record = journal.get(req.take_id)
        assert record is not None
        run_id = tracker.log_take(record, take_dir=files)
        journal.mark_logged(req.take_id, run_id)

    def plain_take(i: int) -> None:
        req = request(i + 100_000)
        from takelab.journal.store import TakeRecord

        record = TakeRecord(
            take_id=req.take_id,
            project="bench",
            shot="s",
            variant="v",
            backend="previz",
            model="animatic",
            seed=req.seed,
            request=req,
            state=TakeState.DONE,
            cost_usd=0.0,
            latency_s=1.0,
            lint=["no-camera"],
        )
        with mlflow.start_run(experiment_id=exp_id):
            mlflow.log_params(take_params(record))
            mlflow.log_metrics({"cost_usd": 0.0, "latency_s": 1.0})
            mlflow.set_tags(
                {
                    "takelab.kind": "take",
                    "takelab.take_id": req.take_id,
                    "takelab.status": "done",
                    "takelab.lint": "no-camera",
                    "takelab.sweep": "",
                    **verdict_tags(None),
                }
            )
            mlflow.log_artifacts(str(files))

    takelab_take(-1)  # warm both paths (imports, first queries)
    plain_take(-1)
    ours, base = [], []
    for i in range(TAKES):
        t0 = time.perf_counter()
        plain_take(i)
        t1 = time.perf_counter()
        takelab_take(i)
        t2 = time.perf_counter()
        base.append(t1 - t0)
        ours.append(t2 - t1)
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    ratio = m_ours / m_base
    print(f"per-take bookkeeping over {TAKES} takes (median)")
    print(f"  plain MLflow logging        {m_base * 1000:8.1f} ms")
    print(f"  takelab journal + MLflow    {m_ours * 1000:8.1f} ms")
    print(
        f"  ratio {ratio:.2f}x (target <= {TARGET}x): "
        f"{'target met' if ratio <= TARGET else 'target missed'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
