"""The names MLflow runs carry (design.md, "MLflow contract") and how a journal record
becomes them: tags, params, run names, links. Outside tools and the comparison UI rely on
these names; nothing here talks to MLflow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from takelab.settings import settings
from takelab.status import tag_status

if TYPE_CHECKING:  # only their fields are read: this module stays below the journal
    from takelab.journal.store import PreferenceRecord, TakeRecord, TakeState, VerdictRecord

KIND_TAG = "takelab.kind"
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
PROJECT_TAG = "takelab.project"
MEMBER_TAG = "takelab.member"
EXPERIMENT_KIND = "custom_model_development"
TAKE_ARTIFACTS = ("take.mp4", "preview.gif", "contact_sheet.png", "request.json", "prompt.txt")
PARAM_LIMIT = 6000
TAG_LIMIT = 8000  # MLflow's longest tag value
CACHED_TAG = "takelab.cached"  # "true" on a sweep run whose every take was reused
TAKE_RUNS_TAG = "takelab.take_runs"  # the take runs a sweep covered, comma-separated


def quiet_mlflow() -> None:
    # Alembic prints every migration on a fresh store; users need none of it.
    for name in ("alembic", "alembic.runtime.migration", "mlflow.store.db.utils"):
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def ui_url() -> str:
    """Base URL of the MLflow UI that links point at (`make ui` serves it)."""
    return settings().ui_url.rstrip("/")


def run_link(experiment_id: str, run_id: str | None = None) -> str:
    """A link that opens the classic runs view (not the GenAI traces view) of MLflow 3."""
    base = f"{ui_url()}/#/experiments/{experiment_id}"
    if run_id:
        return f"{base}/runs/{run_id}?workflowType=machine_learning"
    return f"{base}/runs?workflowType=machine_learning"


def verdict_tags(verdict: VerdictRecord | None) -> dict[str, str]:
    if verdict is None:
        return {"takelab.verdict": "unreviewed", "takelab.reasons": ""}
    tags = {"takelab.verdict": verdict.verdict, "takelab.reasons": ",".join(verdict.reasons)}
    if verdict.note:
        tags["takelab.note"] = verdict.note[:PARAM_LIMIT]
    if verdict.member:  # on a team server: who gave it (the run's owner logs it)
        tags["takelab.reviewer"] = verdict.member
    return tags


def take_params(record: TakeRecord) -> dict[str, str]:
    """The params of a take run, exactly as the contract names them (plus `parent_take`,
    the take it extends, where it continues one)."""
    req = record.request
    prompt_sha = hashlib.sha256(req.prompt.encode()).hexdigest()[:16]
    chain = {"parent_take": req.extend} if req.extend else {}
    return {
        **chain,
        "shot": req.shot,
        "variant": req.variant,
        "backend": req.backend,
        "model": req.model,
        "seed": str(req.seed),
        "duration_s": f"{req.duration_s:g}",
        "aspect": req.aspect,
        "resolution": req.resolution,
        "prompt": req.prompt[:PARAM_LIMIT],
        "prompt_sha": prompt_sha,
        "variant_hash": req.variant_hash,
        "version": req.variant_hash,
        "prompt_file": record.prompt_file or "",
        "git_commit": record.git_commit or "",
        "git_dirty": "" if record.git_dirty is None else str(record.git_dirty).lower(),
    }


def run_name(record: TakeRecord) -> str:
    """A take run's name as a person reads it in the runs table:
    `street-walk/v2@3f2a9c1b seed 1`, plus the backend when it is not previz."""
    req = record.request
    name = f"{req.shot}/{req.variant}@{short_version(req.variant_hash)} seed {req.seed}"
    return name if req.backend == "previz" else f"{name} · {req.backend}:{req.model}"


def short_version(version: str) -> str:
    """A version as shown to people: its first 8 hex characters."""
    return version[:8] if version else "?"


def preference_counts(prefs: Iterable[PreferenceRecord], take_id: str) -> dict[str, float]:
    """A take's preference record as MLflow metrics: wins, losses and ties so far."""
    wins = losses = ties = 0
    for p in prefs:
        if take_id not in (p.take_a, p.take_b):
            continue
        if p.winner == "same":
            ties += 1
        elif (p.winner == "a") == (p.take_a == take_id):
            wins += 1
        else:
            losses += 1
    return {
        "preference_wins": float(wins),
        "preference_losses": float(losses),
        "preference_ties": float(ties),
    }


def take_status(state: TakeState) -> str:
    """The `takelab.status` tag for a journal state."""
    return str(tag_status(state))


def request_json(record: TakeRecord) -> str:
    return json.dumps(record.request.sent(), indent=2, sort_keys=True)
