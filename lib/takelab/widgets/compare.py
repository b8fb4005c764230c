"""Compare: which versions, variants, backends and shots pay off, from `takes_frame` (MLflow).

By default rows are versions (shot, variant and version; optionally per backend) with the
accept rate and its Wilson interval, cost per accepted clip, QA medians and preference
strength; picking two versions gives the difference with its interval and a sentence.

The numbers come from `takelab.review.analytics` (re-exported here for notebooks); this
module only draws them: HTML tables, a matplotlib chart and `Compare`, a small widget.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from takelab.home import Home
from takelab.review.analytics import (
    DEFAULT_ACCEPTANCE,
    GROUPS,
    AcceptanceRate,
    acceptance_history,
    group_columns,
    lint_by_verdict,
    project_strengths,
    rejection_reasons,
    summary_by,
    takes_table,
    version_summary,
)
from takelab.review.ranking import rank
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

VERSION_GROUPS = {"version": False, "version x backend": True}  # value: per backend


# -- tables ------------------------------------------------------------------------------


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
    labels = [
        "/".join(str(v) for v in row) for row in table[group_columns(by)].itertuples(index=False)
    ]
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
        shots = sorted(set(self.frame["shot"].dropna())) if not self.frame.empty else []
        return project_strengths(self.project, shots, home=self.home)

    def render(self) -> None:
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
