"""Compare: which versions, variants, backends and shots pay off, from `takes_frame` (MLflow).

By default rows are versions (shot, variant and version; optionally per backend) with the
accept rate and its Wilson interval, cost per accepted clip, QA medians and preference
strength; picking two versions gives the difference with its interval and a sentence.

Library functions return DataFrames (and a matplotlib figure) so a notebook or a script
can use them directly; `Compare` is a small widget over them. Acceptance rates count
reviewed takes only; cost per accepted clip is everything spent on a group divided by
its accepted takes.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.tracking.tracker import run_link, takes_frame
from takelab.widgets._common import link, project_id
from takelab.widgets._compare_versions import (
    chart_note,
    default_pair,
    difference_html,
    options,
    ranking_html,
    readable_table,
    version_chart,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_ACCEPTANCE = 0.15  # assumed where a backend has no reviewed takes in the project
GROUPS: dict[str, list[str]] = {
    "variant": ["shot", "variant"],  # variant ids repeat across shots
    "backend": ["backend"],
    "shot": ["shot"],
    "variant x backend": ["shot", "variant", "backend"],
}
VERSION_GROUPS = {"version": False, "version x backend": True}  # value: per backend
SUMMARY_COLUMNS = (
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
        return self.accepted / self.reviewed if self.reviewed else DEFAULT_ACCEPTANCE

    def cost_per_accepted(self, price_usd: float) -> float | None:
        """Expected spend for one accepted clip at this price; None if none was accepted."""
        return price_usd / self.rate if self.rate > 0 else None

    def describe(self) -> str:
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


# -- tables ------------------------------------------------------------------------------


def _columns(by: str | Sequence[str]) -> list[str]:
    if isinstance(by, str):
        return GROUPS.get(by, [by])
    return list(by)


def _runs_link(experiment_id: Any, keys: dict[str, Any]) -> str:
    clause = " AND ".join(f"params.{k} = '{v}'" for k, v in keys.items())
    return f"{run_link(str(experiment_id))}&searchFilter={quote(clause)}"


def summary_by(frame: pd.DataFrame, by: str | Sequence[str] = "variant") -> pd.DataFrame:
    """Takes, acceptance rate, spend and cost per accepted clip per group; `runs` links
    to the group's take runs in the MLflow UI. `by`: variant, backend, shot, or columns."""
    cols = _columns(by)
    if frame.empty:
        return pd.DataFrame(columns=[*cols, *SUMMARY_COLUMNS])
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
                "runs": _runs_link(group["experiment_id"].iloc[0], values),
            }
        )
    return pd.DataFrame(rows, columns=[*cols, *SUMMARY_COLUMNS])


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


def table_html(
    table: pd.DataFrame, *, max_rows: int = 200, empty: str = "nothing to show yet"
) -> str:
    """A DataFrame as an HTML table whose `link` and `runs` cells are clickable."""
    if table.empty:
        return f"<p><i>{empty}</i></p>"
    pad = "padding:2px 10px;text-align:left"
    head = "".join(f"<th style='{pad}'>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for _, row in table.head(max_rows).iterrows():
        cells = []
        for col, value in row.items():
            if col in ("link", "runs") and value:
                label = "run" if col == "link" else "runs"
                cell = link(str(value), label)
            elif isinstance(value, float):
                is_rate = str(col).startswith(("acceptance", "share"))
                cell = "" if pd.isna(value) else f"{value:.0%}" if is_rate else f"{value:.2f}"
            else:
                cell = html.escape(str(value))
            cells.append(f"<td style='{pad};white-space:nowrap'>{cell}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = f"<p><i>{len(table) - max_rows} more rows</i></p>" if len(table) > max_rows else ""
    return (
        '<table class="takelab-table" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"
    )


# -- charts ------------------------------------------------------------------------------


def acceptance_chart(frame: pd.DataFrame, by: str | Sequence[str] = "variant") -> Figure | None:
    """Bars of acceptance rate and cost per accepted clip per group (None without data
    or without matplotlib)."""
    table = summary_by(frame, by)
    if table.empty:
        return None
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib comes with mlflow
        return None
    labels = ["/".join(str(v) for v in row) for row in table[_columns(by)].itertuples(index=False)]
    fig = Figure(figsize=(8, 2.6), dpi=80, layout="constrained")
    left, right = fig.subplots(1, 2)
    left.bar(labels, table["acceptance_rate"].fillna(0), color="#4c9a2a")
    left.set_title("acceptance rate (reviewed takes)")
    left.set_ylim(0, 1)
    right.bar(labels, table["cost_per_accepted_usd"].fillna(0), color="#c0392b")
    right.set_title("USD per accepted clip")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return fig


def figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# -- widget ------------------------------------------------------------------------------


class Compare:
    """Tables and a chart of a project's takes, grouped by version (default), variant,
    backend or shot; two versions compared in a sentence; the preference ranking."""

    def __init__(
        self, project: str | Path, *, by: str = "version", home: Home | None = None
    ) -> None:
        import ipywidgets as w

        self.home = home or Home.from_env()
        self.project = project_id(project)
        self.by = w.Dropdown(options=[*VERSION_GROUPS, *GROUPS], value=by, description="group by")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.header = w.HTML()
        self.summary = w.HTML()
        self.chart = w.Image(format="png", layout=w.Layout(max_width="760px"))
        self.chart_note = w.HTML()
        self.version_a = w.Dropdown(description="version A", layout=w.Layout(width="420px"))
        self.version_b = w.Dropdown(description="version B", layout=w.Layout(width="420px"))
        self.difference = w.HTML()
        self.pick_box = w.VBox(
            [w.HTML("<h4>Is one version better?</h4>"), self.version_a, self.version_b,
             self.difference]
        )  # fmt: skip
        self.ranking = w.HTML()
        self.reasons = w.HTML()
        self.lint = w.HTML()
        self.frame = pd.DataFrame()
        self.versions = pd.DataFrame()
        self.by.observe(lambda _: self.render(), names="value")
        for pick in (self.version_a, self.version_b):
            pick.observe(lambda _: self.show_difference(), names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = w.VBox(
            [
                w.HBox([self.by, self.refresh_button]),
                self.header,
                self.summary,
                self.chart,
                self.chart_note,
                self.pick_box,
                w.HTML("<h4>Ranking from side-by-side preferences</h4>"),
                self.ranking,
                w.HTML("<h4>Rejection reasons by backend</h4>"),
                self.reasons,
                w.HTML("<h4>Lint rules on accepted vs rejected takes</h4>"),
                self.lint,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Read the takes from MLflow again and redraw."""
        self.frame = takes_frame(self.project, home=self.home)
        self.render()

    def _strengths(self) -> dict[tuple[str, str], Any]:
        from takelab.review.analytics import project_strengths

        shots = sorted(set(self.frame["shot"].dropna())) if not self.frame.empty else []
        return project_strengths(self.project, shots, home=self.home)

    def render(self) -> None:
        from takelab.review.analytics import version_summary
        from takelab.review.ranking import rank

        frame = self.frame
        if frame.empty:
            self.header.value = (
                f"<p>No takes in MLflow for project <b>{html.escape(self.project)}</b> yet. "
                "Run a sweep (<code>notebooks/02_sweep.ipynb</code> or <code>takelab sweep"
                "</code>), review takes in Dailies, then come back.</p>"
            )
        else:
            reviewed = int(frame["verdict"].isin(["accept", "reject"]).sum())
            spend = float(pd.to_numeric(frame["cost_usd"], errors="coerce").fillna(0).sum())
            runs = link(run_link(str(frame["experiment_id"].iloc[0])), "Open in MLflow")
            self.header.value = (
                f"<p><b>{html.escape(self.project)}</b>: {len(frame)} takes, {reviewed} "
                f"reviewed, ${spend:.2f} spent. {runs}</p>"
            )
        fig: Figure | None
        if self.by.value in VERSION_GROUPS:
            per_backend = VERSION_GROUPS[self.by.value]
            self.versions = version_summary(frame, backend=per_backend, strengths=self._strengths())
            experiment = str(frame["experiment_id"].iloc[0]) if not frame.empty else None
            self.summary.value = table_html(
                readable_table(self.versions, backend=per_backend, experiment_id=experiment)
            )
            fig = version_chart(self.versions, backend=per_backend)
            note = chart_note(self.versions)
            self.pick_box.layout.display = None
            picks = options(self.versions)
            self.version_a.options = self.version_b.options = picks
            pair = default_pair(self.versions)
            if pair is not None:
                self.version_a.value, self.version_b.value = pair
            self.show_difference()
        else:
            self.summary.value = table_html(summary_by(frame, self.by.value))
            fig = acceptance_chart(frame, self.by.value)
            table = summary_by(frame, self.by.value).rename(
                columns={"acceptance_rate": "rate", "cost_per_accepted_usd": "cost_per_accepted"}
            )
            note = chart_note(table)
            self.pick_box.layout.display = "none"
        self.chart.value = figure_png(fig) if fig is not None else b""
        self.chart.layout.display = None if fig is not None else "none"
        self.chart_note.value = (
            f"<p class='takelab-chart-note'><i>{html.escape(note)}</i></p>" if note else ""
        )
        shots = list(dict.fromkeys(frame["shot"].dropna())) if not frame.empty else []
        self.ranking.value = ranking_html(
            {s: rank(self.project, shot=s, home=self.home) for s in shots}
        )
        self.reasons.value = table_html(rejection_reasons(frame), empty="no rejections yet")
        self.lint.value = table_html(
            lint_by_verdict(frame), empty="no lint rule fired on a reviewed take"
        )

    def show_difference(self) -> None:
        """The sentence for the two picked versions."""
        self.difference.value = difference_html(
            self.versions, self.version_a.value, self.version_b.value
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = [
    "DEFAULT_ACCEPTANCE",
    "AcceptanceRate",
    "Compare",
    "acceptance_chart",
    "acceptance_history",
    "lint_by_verdict",
    "rejection_reasons",
    "summary_by",
    "table_html",
    "takes_table",
]
