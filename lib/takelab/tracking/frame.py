"""Take runs as a pandas DataFrame: one row per run, the contract's params, metrics and
tags flattened to columns (`takes_frame`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from takelab.tracking.names import KIND_TAG, run_link

if TYPE_CHECKING:
    import pandas as pd

FRAME_COLUMNS = {
    "take_id": "tags.takelab.take_id",
    "shot": "params.shot",
    "variant": "params.variant",
    "backend": "params.backend",
    "model": "params.model",
    "seed": "params.seed",
    "duration_s": "params.duration_s",
    "aspect": "params.aspect",
    "resolution": "params.resolution",
    "status": "tags.takelab.status",
    "verdict": "tags.takelab.verdict",
    "reasons": "tags.takelab.reasons",
    "lint": "tags.takelab.lint",
    "flags": "tags.takelab.flags",
    "cost_usd": "metrics.cost_usd",
    "latency_s": "metrics.latency_s",
    "accepted": "metrics.accepted",
    "prompt": "params.prompt",
    "variant_hash": "params.variant_hash",
    "version": "params.version",
    "git_commit": "params.git_commit",
    "parent_take": "params.parent_take",
    "sweep_run_id": "tags.takelab.sweep",
    "run_id": "run_id",
    "experiment_id": "experiment_id",
    "start_time": "start_time",
}


def _tidy(raw: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame(index=raw.index)
    for col, src in FRAME_COLUMNS.items():
        out[col] = raw[src] if src in raw.columns else None
    # Quality metrics and anything else logged as a metric come along under their names.
    for src in raw.columns:
        if src.startswith("metrics.") and src[8:] not in out.columns:
            out[src[8:]] = raw[src]
    # Runs logged before versions were a param carry the same hash as variant_hash.
    out["version"] = out["version"].where(out["version"].notna(), out["variant_hash"])
    if len(out):
        out["seed"] = pd.to_numeric(out["seed"], errors="coerce").astype("Int64")
        out["duration_s"] = pd.to_numeric(out["duration_s"], errors="coerce")
        out["link"] = [
            run_link(e, r) for e, r in zip(out["experiment_id"], out["run_id"], strict=True)
        ]
    else:
        out["link"] = []
    return out.sort_values(["shot", "variant", "backend", "seed"], kind="stable").reset_index(
        drop=True
    )


def search_take_runs(uri: str, exp_ids: list[str]) -> pd.DataFrame:
    """The take runs of these experiments, tidied (see FRAME_COLUMNS)."""
    import mlflow
    import pandas as pd

    if not exp_ids:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    # mlflow.search_runs reads the global tracking URI (and setting it exports
    # MLFLOW_TRACKING_URI to the environment): set it for this call only.
    saved_env = os.environ.get("MLFLOW_TRACKING_URI")
    saved_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        raw = mlflow.search_runs(
            experiment_ids=exp_ids,
            filter_string=f"tags.`{KIND_TAG}` = 'take'",
            output_format="pandas",
            max_results=100_000,
        )
    finally:
        mlflow.set_tracking_uri(saved_uri)
        if saved_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved_env
    return _tidy(raw)
