"""Compare by version: the table people read (accept rate with its interval, cost per
accepted clip, QA medians, preference strength), its chart, the ranking from preferences,
and the difference between two picked versions said in a sentence.

Numbers come from `takelab.review.analytics`; this module only decides how they look. A chart
that would be empty is replaced by a sentence saying why.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from takelab.media.metric_names import format_metric, metric_label, metric_name
from takelab.review.analytics import runs_link
from takelab.widgets._common import esc

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from takelab.review.ranking import Strength


def _pct(x: float) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.0%}"


def _plain(key: str, value: float) -> str:
    """A metric's value without its unit (shares stay percentages)."""
    if value is None or math.isnan(value):
        return "–"
    return format_metric(key, value) if metric_name(key).kind == "share" else f"{value:.3g}"


def row_name(row: Any, *, backend: bool = False) -> str:
    """`walk/v2@3f2a9c1b` (and ` on previz` when rows are per backend)."""
    if "version" not in row or not row["version"]:  # rows grouped another way
        return "/".join(str(row[k]) for k in ("shot", "variant", "backend") if k in row)
    name = f"{row['shot']}/{row['variant']}@{str(row['version'])[:8]}"
    return f"{name} on {row['backend']}" if backend and "backend" in row else name


def readable_table(
    summary: pd.DataFrame, *, backend: bool = False, experiment_id: str | None = None
) -> pd.DataFrame:
    """`version_summary` with readable columns: units in the headers, rates with their
    95% interval, the strength with its interval and number of comparisons, and (given
    the experiment) a link to each row's take runs in the MLflow UI."""
    keys = ["shot", "variant", "version", *(["backend"] if backend else [])]
    qa = [c for c in summary.columns if c.startswith("median_")]
    rows = []
    for _, r in summary.iterrows():
        row: dict[str, Any] = {k: r[k] for k in keys}
        row["version"] = str(r["version"])[:8]
        row["takes"] = int(r["takes"])
        row["reviewed"] = int(r["reviewed"])
        row["accepted"] = int(r["accepted"])
        row["accept rate (95% interval)"] = (
            f"{_pct(r['rate'])} ({_pct(r['rate_lo'])[:-1]}–{_pct(r['rate_hi'])})"
            if r["reviewed"]
            else "not reviewed"
        )
        row[metric_label("cost_per_accepted")] = (
            format_metric("cost_per_accepted", r["cost_per_accepted"])
            if r["accepted"]
            else "none accepted"
        )
        for col in qa:  # the unit is in the header
            row[metric_label(col)] = _plain(col, r[col])
        row["preference strength (log-odds)"] = (
            f"{r['strength']:+.2f} ({r['strength_lo']:+.2f} to {r['strength_hi']:+.2f}), "
            f"{int(r['comparisons'])} comparisons"
            if r["comparisons"]
            else "no preferences"
        )
        if experiment_id is not None:
            where = {k: str(r[k]) for k in keys}
            row["runs"] = runs_link(experiment_id, where)
        rows.append(row)
    return pd.DataFrame(rows)


def chart_note(summary: pd.DataFrame) -> str:
    """Why (part of) the chart has nothing to draw, or "" when it is complete."""
    if summary.empty:
        return "No takes yet, so nothing to chart: run a sweep, then review takes in Dailies."
    if int(summary["reviewed"].sum()) == 0:
        return (
            "No reviewed takes yet, so there are no accept rates to chart: accept or reject "
            "takes in Dailies, the grid or the A/B player, then press Refresh."
        )
    if int(summary["accepted"].sum()) == 0:
        return (
            "No accepted takes yet: the accept rates are charted, but cost per accepted clip "
            "needs at least one accepted take."
        )
    missing = summary[(summary["reviewed"] > 0) & (summary["accepted"] == 0)]
    if len(missing):
        names = ", ".join(row_name(r) for _, r in missing.head(4).iterrows())
        return f"No cost bar for {names}: none of its takes was accepted yet."
    return ""


def version_chart(summary: pd.DataFrame, *, backend: bool = False) -> Figure | None:
    """Accept rate with its 95% interval and cost per accepted clip, per version; None when
    no take is reviewed (`chart_note` says so)."""
    reviewed = summary[summary["reviewed"] > 0] if not summary.empty else summary
    if reviewed.empty:
        return None
    from matplotlib.figure import Figure

    labels = [row_name(r, backend=backend) for _, r in reviewed.iterrows()]
    x = list(range(len(labels)))
    fig = Figure(figsize=(9, 2.8), dpi=80, layout="constrained")
    left, right = fig.subplots(1, 2)
    rate = reviewed["rate"].astype(float)
    err = [
        (rate - reviewed["rate_lo"].astype(float)).clip(lower=0),
        (reviewed["rate_hi"].astype(float) - rate).clip(lower=0),
    ]
    left.bar(x, rate, yerr=err, capsize=4, color="#4c9a2a")
    left.set_title("accept rate of reviewed takes (95% interval)")
    left.set_ylim(0, 1)
    cost = reviewed["cost_per_accepted"].astype(float)
    right.bar(x, cost.fillna(0), color="#c0392b")
    right.set_title("USD per accepted clip")
    for i, value in enumerate(cost):
        if math.isnan(value):
            right.text(i, 0, "none\naccepted", ha="center", va="bottom", fontsize=7)
    for ax in (left, right):
        ax.set_xticks(x, labels, rotation=25, ha="right", fontsize=8)
    return fig


def ranking_html(strengths: dict[str, list[Strength]]) -> str:
    """Per shot, the versions ranked by preference strength (Bradley-Terry), or why not."""
    parts = []
    for shot, ranked in strengths.items():
        if not ranked:
            parts.append(
                f"<p><b>{esc(shot)}</b>: no preferences between its versions yet. Compare two "
                "takes in the A/B player and press a, b or s.</p>"
            )
            continue
        rows = "".join(
            f"<tr><td>{i}</td><td><code>{esc(s.key)}</code></td><td>{s.strength:+.2f}</td>"
            f"<td>{s.lo:+.2f} to {s.hi:+.2f}</td><td>{s.comparisons}</td></tr>"
            for i, s in enumerate(ranked, 1)
        )
        parts.append(
            f"<p><b>{esc(shot)}</b></p><table class='takelab-ranking'><tr><th>#</th>"
            "<th>version</th><th>strength (log-odds)</th><th>95% interval</th>"
            f"<th>comparisons</th></tr>{rows}</table>"
        )
    if not parts:
        return "<p><i>No takes yet, so nothing to rank.</i></p>"
    return "".join(parts)


def options(summary: pd.DataFrame) -> list[tuple[str, int]]:
    """Dropdown options naming each row of the summary."""
    return [
        (f"{row_name(r)} · {int(r['accepted'])}/{int(r['reviewed'])} accepted", i)
        for i, (_, r) in enumerate(summary.iterrows())
    ]


def default_pair(summary: pd.DataFrame) -> tuple[int, int] | None:
    """The two rows a person most likely wants compared (by position): two reviewed
    versions of one variant (the edit), else of one shot, else the same among all rows,
    else the first two."""
    if len(summary) < 2:
        return None
    rows = summary.reset_index(drop=True)
    reviewed = rows[rows["reviewed"] > 0]
    for frame in (reviewed, rows):  # versions with verdicts first: they have something to say
        for keys in (["shot", "variant"], ["shot"]):
            for _, group in frame.groupby(keys, sort=False):
                if len(group) >= 2:
                    return int(group.index[0]), int(group.index[1])
    return 0, 1


def difference_html(summary: pd.DataFrame, a: int | None, b: int | None) -> str:
    """The difference in accept rate between two rows (by position), with its interval
    and a sentence."""
    from takelab.review.analytics import version_difference

    if a is None or b is None or summary.empty:
        return "<p><i>Pick two versions to compare.</i></p>"
    if a == b:
        return "<p><i>Pick two different versions.</i></p>"
    keys = ["shot", "variant", "version", *(["backend"] if "backend" in summary.columns else [])]
    ref = [{k: str(summary.iloc[i][k]) for k in keys} for i in (a, b)]
    diff = version_difference(summary, ref[0], ref[1])
    span = (
        f"{diff.diff:+.0%} (95% interval {diff.lo:+.0%} to {diff.hi:+.0%})"
        if diff.n_a and diff.n_b
        else "no interval yet"
    )
    return (
        f"<div class='takelab-difference'><b>Difference in accept rate</b>: {esc(span)}"
        f"<p style='font-size:110%'>{esc(diff.verdict)}</p></div>"
    )


__all__ = [
    "chart_note",
    "default_pair",
    "difference_html",
    "options",
    "ranking_html",
    "readable_table",
    "row_name",
    "version_chart",
]
