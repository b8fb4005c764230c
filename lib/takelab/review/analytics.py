"""Compare by version: does the new wording do better? Rows per shot, variant and version
(optionally backend) with counts, Wilson intervals, cost per accepted clip, QA medians and
preference strength, and the difference between two versions said in a sentence.

Works on a takes frame (`tracking.takes_frame`, or `journal_frame` when MLflow is not
wanted): one row per take with at least shot, variant, version, backend, status, verdict and
cost_usd, plus any QA metric columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from takelab.home import Home
from takelab.journal.store import Journal
from takelab.media.metric_names import QA_METRICS
from takelab.review.ranking import (
    RateDiff,
    Strength,
    bradley_terry,
    preference_pairs,
    rate_difference,
    wilson,
)

VERSION_KEYS = ("shot", "variant", "version")
SUMMARY_COLUMNS = (
    "takes",
    "reviewed",
    "accepted",
    "rejected",
    "rate",
    "rate_lo",
    "rate_hi",
    "spend_usd",
    "cost_per_accepted",
    "strength",
    "strength_lo",
    "strength_hi",
    "comparisons",
)


def journal_frame(project: str, *, home: Home | None = None) -> pd.DataFrame:
    """The project's takes from the journal alone, in the columns `takes_frame` uses."""
    home = home or Home.from_env()
    if not home.has_journal:
        return pd.DataFrame(columns=["take_id", *VERSION_KEYS, "backend", "status", "verdict"])
    journal = Journal(home.journal_url)
    latest = journal.latest_verdicts()
    rows = []
    for rec in journal.takes(project=project):
        v = latest.get(rec.take_id)
        rows.append(
            {
                "take_id": rec.take_id,
                "shot": rec.shot,
                "variant": rec.variant,
                "version": rec.version,
                "backend": rec.backend,
                "model": rec.model,
                "seed": rec.seed,
                "status": str(rec.state),
                "verdict": v.verdict if v else "unreviewed",
                "reasons": ",".join(v.reasons) if v else "",
                "cost_usd": float(rec.cost_usd or 0.0),
                **rec.metrics,
            }
        )
    return pd.DataFrame(rows)


def project_strengths(
    project: str, shots: Sequence[str], *, home: Home | None = None
) -> dict[tuple[str, str], Strength]:
    """Bradley-Terry strengths of each shot's versions, keyed (shot, "variant@version8")."""
    out: dict[tuple[str, str], Strength] = {}
    for shot in shots:
        for s in bradley_terry(preference_pairs(project, shot=shot, home=home)):
            out[(shot, s.key)] = s
    return out


def version_summary(
    frame: pd.DataFrame,
    by: Sequence[str] = VERSION_KEYS,
    backend: bool = False,
    strengths: Mapping[tuple[str, str], Strength] | None = None,
) -> pd.DataFrame:
    """One row per group (shot, variant, version; plus backend if asked): takes made,
    reviewed, accepted, rejected, the accept rate of reviewed takes with its Wilson 95%
    interval (`rate_lo`, `rate_hi`), spend, cost per accepted clip (spend / accepted; NaN
    with none accepted), the median of each QA metric (`median_<metric>`) over the clips,
    and the preference strength of the version with its interval and comparisons."""
    keys = list(by) + (["backend"] if backend and "backend" not in by else [])
    qa = [m for m in QA_METRICS if m in frame.columns]
    columns = [*keys, *SUMMARY_COLUMNS, *(f"median_{m}" for m in qa)]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    data = frame.copy()
    for k in keys:
        data[k] = data[k].fillna("")
    rows = []
    for group, part in data.groupby(keys, sort=False, dropna=False):
        values = group if isinstance(group, tuple) else (group,)
        row: dict[str, object] = dict(zip(keys, values, strict=True))
        done = part[part["status"].isin(["done", "cached"])]
        verdicts = part["verdict"].fillna("unreviewed")
        accepted = int((verdicts == "accept").sum())
        rejected = int((verdicts == "reject").sum())
        reviewed = accepted + rejected
        lo, hi = wilson(accepted, reviewed)
        spend = float(pd.to_numeric(part["cost_usd"], errors="coerce").fillna(0.0).sum())
        row.update(
            takes=len(done),
            reviewed=reviewed,
            accepted=accepted,
            rejected=rejected,
            rate=accepted / reviewed if reviewed else float("nan"),
            rate_lo=lo if reviewed else float("nan"),
            rate_hi=hi if reviewed else float("nan"),
            spend_usd=round(spend, 6),
            cost_per_accepted=spend / accepted if accepted else float("nan"),
        )
        strength = None
        if strengths is not None and {"shot", "variant", "version"} <= set(row):
            key = f"{row['variant']}@{str(row['version'])[:8]}"
            strength = strengths.get((str(row["shot"]), key))
        row.update(
            strength=strength.strength if strength else float("nan"),
            strength_lo=strength.lo if strength else float("nan"),
            strength_hi=strength.hi if strength else float("nan"),
            comparisons=strength.comparisons if strength else 0,
        )
        for m in qa:
            values_m = pd.to_numeric(done[m], errors="coerce").dropna()
            row[f"median_{m}"] = float(values_m.median()) if len(values_m) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def version_difference(
    summary: pd.DataFrame, a: Mapping[str, str], b: Mapping[str, str]
) -> RateDiff:
    """The difference in accept rate between two rows of `version_summary` (each named by
    its key columns, e.g. {"shot": "walk", "variant": "v2", "version": "3f2a9c1b"}; a
    version may be a prefix), with its interval and a plain sentence."""

    def pick(ref: Mapping[str, str]) -> tuple[int, int, str]:
        mask = pd.Series(True, index=summary.index)
        for k, v in ref.items():
            col = summary[k].astype(str)
            mask &= col.str.startswith(v) if k == "version" else col == v
        hits = summary[mask]
        if len(hits) != 1:
            raise ValueError(f"{dict(ref)} matches {len(hits)} rows, not one")
        row = hits.iloc[0]
        name = f"{row.get('variant', '')}@{str(row.get('version', ''))[:8]}"
        return int(row["accepted"]), int(row["reviewed"]), name

    ka, na, name_a = pick(a)
    kb, nb, name_b = pick(b)
    return rate_difference(ka, na, kb, nb, names=(name_a, name_b))


def summary_for(
    project: str | Path, *, backend: bool = False, home: Home | None = None
) -> pd.DataFrame:
    """`version_summary` of a project's journal, preference strengths included."""
    from takelab.review.versions import project_id

    pid = project_id(project)
    frame = journal_frame(pid, home=home)
    shots = sorted(set(frame["shot"])) if len(frame) else []
    return version_summary(
        frame, backend=backend, strengths=project_strengths(pid, shots, home=home)
    )
