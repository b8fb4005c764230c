"""What pays off, in numbers: the analytics behind Compare, Studio and `takelab compare`.

Compare by version: does the new wording do better? Rows per shot, variant and version
(optionally backend) with counts, Wilson intervals, cost per accepted clip, QA medians and
preference strength, and the difference between two versions said in a sentence. Compare
by group (variant, backend, shot): acceptance rate, spend and cost per accepted clip, the
rejection reasons per backend and the lint rules on accepted vs rejected takes; and each
backend's acceptance history in a project (Studio's expected cost of an accepted clip).

Works on a takes frame (`tracking.takes_frame`, or `journal_frame` when MLflow is not
wanted): one row per take with at least shot, variant, version, backend, status, verdict and
cost_usd, plus any QA metric columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.media.metric_names import QA_METRICS
from takelab.review.listing import reviewed_takes, take_fields
from takelab.review.ranking import (
    RateDiff,
    Strength,
    bradley_terry,
    preference_pairs,
    rate_difference,
    wilson,
)
from takelab.tracking.tracker import run_link

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
    rows = []
    for rec, v in reviewed_takes(project, home=home):
        rows.append(
            {
                **take_fields(rec, v),
                "backend": rec.backend,
                "model": rec.model,
                "cost_usd": float(rec.cost_usd or 0.0),
                **rec.metrics,
            }
        )
    if not rows:
        return pd.DataFrame(columns=["take_id", *VERSION_KEYS, "backend", "status", "verdict"])
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


# -- acceptance and groups (the Compare widget's tables and Studio's cost per clip) -------

DEFAULT_ACCEPTANCE = 0.15  # assumed where a backend has no reviewed takes in the project
GROUPS: dict[str, list[str]] = {
    "variant": ["shot", "variant"],  # variant ids repeat across shots
    "backend": ["backend"],
    "shot": ["shot"],
    "variant x backend": ["shot", "variant", "backend"],
}
GROUP_SUMMARY_COLUMNS = (
    "takes",
    "reviewed",
    "accepted",
    "acceptance_rate",
    "spend_usd",
    "cost_per_accepted_usd",
    "runs",
)


@dataclass(frozen=True)
class AcceptanceRate:
    """A backend's record in one project: accepted of reviewed takes."""

    accepted: int = 0
    reviewed: int = 0

    @property
    def assumed(self) -> bool:
        """True when there is no history and the rate is the 15% default."""
        return self.reviewed == 0

    @property
    def rate(self) -> float:
        """Accepted of reviewed, or the default where none was reviewed."""
        return self.accepted / self.reviewed if self.reviewed else DEFAULT_ACCEPTANCE

    def cost_per_accepted(self, price_usd: float) -> float | None:
        """Expected spend for one accepted clip at this price; None if none was accepted."""
        return price_usd / self.rate if self.rate > 0 else None

    def describe(self) -> str:
        """The rate in words, saying when it is assumed."""
        if self.assumed:
            return f"{DEFAULT_ACCEPTANCE:.0%} assumed (no reviewed takes yet)"
        return f"{self.rate:.0%} ({self.accepted} of {self.reviewed} reviewed)"


def acceptance_history(project: str, *, home: Home | None = None) -> dict[str, AcceptanceRate]:
    """Per backend spec (`name:model`), the latest verdicts of the project's takes."""
    home = home or Home.from_env()
    if not home.has_journal:
        return {}
    journal = Journal(home.journal_url)
    latest = journal.latest_verdicts()
    counts: dict[str, list[int]] = {}
    for rec in journal.takes(project=project, states=[TakeState.DONE]):
        verdict = latest.get(rec.take_id)
        if verdict is None:
            continue
        c = counts.setdefault(f"{rec.backend}:{rec.model}", [0, 0])
        c[0] += verdict.verdict == "accept"
        c[1] += 1
    return {spec: AcceptanceRate(a, n) for spec, (a, n) in counts.items()}


def group_columns(by: str | Sequence[str]) -> list[str]:
    """The columns a grouping names: one of GROUPS, a column, or a list of columns."""
    if isinstance(by, str):
        return GROUPS.get(by, [by])
    return list(by)


def runs_link(experiment_id: Any, where: Mapping[str, Any]) -> str:
    """The MLflow runs table filtered to the takes of one group (params are logged per
    take)."""
    clause = " AND ".join(f"params.{k} = '{v}'" for k, v in where.items())
    return f"{run_link(str(experiment_id))}&searchFilter={quote(clause)}"


def summary_by(frame: pd.DataFrame, by: str | Sequence[str] = "variant") -> pd.DataFrame:
    """Takes, acceptance rate, spend and cost per accepted clip per group; `runs` links
    to the group's take runs in the MLflow UI. `by`: variant, backend, shot, or columns."""
    cols = group_columns(by)
    if frame.empty:
        return pd.DataFrame(columns=[*cols, *GROUP_SUMMARY_COLUMNS])
    rows = []
    for keys, group in frame.groupby(cols, sort=True, dropna=False):
        values = dict(zip(cols, keys if isinstance(keys, tuple) else (keys,), strict=True))
        reviewed = int(group["verdict"].isin(["accept", "reject"]).sum())
        accepted = int((group["verdict"] == "accept").sum())
        spend = float(pd.to_numeric(group["cost_usd"], errors="coerce").fillna(0).sum())
        rows.append(
            {
                **values,
                "takes": len(group),
                "reviewed": reviewed,
                "accepted": accepted,
                "acceptance_rate": accepted / reviewed if reviewed else float("nan"),
                "spend_usd": round(spend, 4),
                "cost_per_accepted_usd": round(spend / accepted, 4) if accepted else float("nan"),
                "runs": runs_link(group["experiment_id"].iloc[0], values),
            }
        )
    return pd.DataFrame(rows, columns=[*cols, *GROUP_SUMMARY_COLUMNS])


def _split(value: Any) -> list[str]:
    return [x for x in str(value or "").split(",") if x and x != "nan"]


def rejection_reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """How often each reason tag was given to rejected takes, per backend."""
    rejected = frame[frame["verdict"] == "reject"] if not frame.empty else frame
    pairs = [
        (backend, reason)
        for backend, reasons in zip(
            rejected.get("backend", []), rejected.get("reasons", []), strict=True
        )
        for reason in (_split(reasons) or ["(no reason)"])
    ]
    if not pairs:
        return pd.DataFrame(columns=["backend"])
    counts = pd.DataFrame(pairs, columns=["backend", "reason"]).value_counts()
    table = counts.unstack(fill_value=0).astype(int)
    table = table[table.sum().sort_values(ascending=False).index]
    return table.reset_index().rename_axis(columns=None)


def lint_by_verdict(frame: pd.DataFrame) -> pd.DataFrame:
    """For each lint rule: how many accepted and rejected takes it fired on, and the share
    of each group, so rules that predict rejection stand out."""
    cols = ["rule", "accepted", "rejected", "share_of_accepted", "share_of_rejected"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    n_acc = int((frame["verdict"] == "accept").sum())
    n_rej = int((frame["verdict"] == "reject").sum())
    counts: dict[str, list[int]] = {}
    for verdict, lint in zip(frame["verdict"], frame["lint"], strict=True):
        if verdict not in ("accept", "reject"):
            continue
        for rule in _split(lint):
            counts.setdefault(rule, [0, 0])[verdict == "reject"] += 1
    rows = [
        {
            "rule": rule,
            "accepted": a,
            "rejected": r,
            "share_of_accepted": a / n_acc if n_acc else float("nan"),
            "share_of_rejected": r / n_rej if n_rej else float("nan"),
        }
        for rule, (a, r) in counts.items()
    ]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["rejected", "rule"], ascending=[False, True]).reset_index(drop=True)


def takes_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per take with its verdict, cost and a link to its MLflow run."""
    cols = ["shot", "variant", "backend", "seed", "status", "verdict", "reasons", "cost_usd"]
    if frame.empty:
        return pd.DataFrame(columns=[*cols, "link"])
    return frame[[*cols, "link"]].reset_index(drop=True)
