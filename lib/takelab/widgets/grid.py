"""The review grid: every take of one shot at once, variants (or versions) as columns and
seeds as rows, playing in sync, with a verdict on every cell.

Tick cells and reject them all with one reason (or accept them all); a rejection always
needs a reason, from the quick picks or typed. Verdicts go through `record_verdict`, so
the journal and each take's MLflow run change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.review.verdicts import record_verdict
from takelab.widgets._common import close_widgets, esc, notice
from takelab.widgets._diffview import short
from takelab.widgets._player import MediaLinks
from takelab.widgets._reasons import NEED_REASON, ReasonPicker
from takelab.widgets._sync import SCOPE_CLASS, new_uid, synced_video_html, transport_output
from takelab.widgets._takes_view import TakesView

ALL = "(all)"
COLUMNS = ("variant", "version")
VERDICT_COLOUR = {"accept": "#1e7b34", "reject": "#b42318", "unreviewed": "#555"}


@dataclass
class Cell:
    """One take in the grid and its controls."""

    record: TakeRecord
    box: Any
    caption: Any
    select: Any
    accept: Any
    reject: Any


class ReviewGrid(TakesView):
    """All takes of one shot of a project (an id or a project file), side by side."""

    def __init__(
        self,
        project: str | Path,
        *,
        shot: str | None = None,
        columns: str = "variant",
        backend: str | None = None,
        width: int = 240,
        home: Home | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        import ipywidgets as w

        super().__init__(project, home=home, links=links)
        self.width = width
        self.uid = new_uid()
        self.cells: dict[str, Cell] = {}

        self.shot = w.Dropdown(description="shot", layout=w.Layout(width="220px"))
        self.columns = w.ToggleButtons(options=COLUMNS, value=columns, description="columns")
        self.backend = w.Dropdown(description="backend", layout=w.Layout(width="260px"))
        self.picker = ReasonPicker(label="<b>Reason</b> (for Reject and Reject selected)")
        self.select_all = w.Button(description="Select all", icon="check-square")
        self.clear = w.Button(description="Clear selection", icon="square")
        self.accept_selected = w.Button(
            description="Accept selected", button_style="success", icon="check"
        )
        self.reject_selected = w.Button(
            description="Reject selected", button_style="danger", icon="times"
        )
        for b in (self.select_all, self.clear, self.accept_selected, self.reject_selected):
            b.layout = w.Layout(width="auto")
        self.board = w.GridBox()
        self.transport = transport_output(self.uid)
        self.status = w.HTML()
        self.empty = w.HTML()

        self.select_all.on_click(lambda _: self.set_selected(True))
        self.clear.on_click(lambda _: self.set_selected(False))
        self.accept_selected.on_click(lambda _: self.decide(self.selected(), "accept"))
        self.reject_selected.on_click(lambda _: self.decide(self.selected(), "reject"))
        self.widget = w.VBox(
            [
                w.HBox([self.shot, self.columns, self.backend]),
                self.empty,
                self.transport,
                self.board,
                self.picker.widget,
                w.HBox([self.select_all, self.clear, self.accept_selected, self.reject_selected]),
                self.status,
            ]
        )
        self.widget.add_class(SCOPE_CLASS)
        self.widget.add_class("takelab-grid")
        self.reload(shot=shot, backend=backend)
        self.shot.observe(lambda _: self.render(), names="value")
        self.columns.observe(lambda _: self.render(), names="value")
        self.backend.observe(lambda _: self.render(), names="value")

    # -- data ----------------------------------------------------------------------------

    def reload(self, *, shot: str | None = None, backend: str | None = None) -> None:
        """Read the takes and verdicts again and redraw."""
        self.records, self.latest = [], {}
        if self.home.has_journal:
            journal = Journal(self.home.journal_url)
            self.records = journal.takes(project=self.project, states=[TakeState.DONE])
            self.latest = journal.latest_verdicts()
        shots = list(dict.fromkeys(r.shot for r in self.records))
        specs = sorted({f"{r.backend}:{r.model}" for r in self.records})
        self.shot.options = shots
        self.shot.value = shot if shot in shots else (shots[0] if shots else None)
        self.backend.options = [ALL, *specs]
        wanted = next((s for s in specs if backend in (s, s.split(":")[0])), ALL)
        self.backend.value = wanted
        self.render()

    def verdict_of(self, take_id: str) -> str:
        v = self.latest.get(take_id)
        return v.verdict if v else "unreviewed"

    def shown(self) -> list[TakeRecord]:
        """The takes of the chosen shot (and backend)."""
        return [
            r
            for r in self.records
            if r.shot == self.shot.value and self.backend.value in (ALL, f"{r.backend}:{r.model}")
        ]

    def column_of(self, r: TakeRecord) -> str:
        if self.columns.value == "version":
            return f"{r.variant} @ {short(r.request.variant_hash or '?')}"
        return r.variant

    def row_of(self, r: TakeRecord) -> tuple[str, int]:
        return (f"{r.backend}:{r.model}", r.seed)

    # -- drawing -------------------------------------------------------------------------

    def render(self) -> None:
        import ipywidgets as w

        old = list(self.board.children)
        takes = self.shown()
        self.cells = {}
        if not takes:
            self.board.children = []
            close_widgets(old)
            self.empty.value = notice(
                f"No finished takes of project <b>{esc(self.project)}</b> to show. Run a sweep "
                "(<code>notebooks/02_sweep.ipynb</code> or Generate in the Studio), then rerun "
                "this cell."
            )
            return
        self.empty.value = ""
        columns = list(dict.fromkeys(self.column_of(r) for r in takes))
        rows = sorted({self.row_of(r) for r in takes})
        several_backends = len({spec for spec, _ in rows}) > 1
        # With variants as columns a variant's newer version takes the cell (takes come
        # oldest first); versions as columns show every version.
        at = {(self.row_of(r), self.column_of(r)): r for r in takes}
        children: list[Any] = [w.HTML("")]
        children += [w.HTML(f"<b class='takelab-column'>{esc(c)}</b>") for c in columns]
        for row in rows:
            spec, seed = row
            label = f"{esc(spec)}<br>seed {seed}" if several_backends else f"seed {seed}"
            children.append(w.HTML(f"<div style='padding-top:8px'>{label}</div>"))
            for column in columns:
                record = at.get((row, column))
                children.append(self._cell(record) if record else w.HTML("<i>no take</i>"))
        self.board.layout = w.Layout(
            grid_template_columns=f"110px repeat({len(columns)}, {self.width + 10}px)",
            grid_gap="6px",
        )
        self.board.children = children
        close_widgets(old)

    def _caption(self, r: TakeRecord) -> str:
        verdict = self.verdict_of(r.take_id)
        reasons = self.latest[r.take_id].reasons if verdict == "reject" else []
        why = f" ({esc(', '.join(reasons))})" if reasons else ""
        return (
            f"<div style='font-size:12px'><code>{esc(short(r.request.variant_hash or '?'))}"
            f"</code> s{r.seed} · <b class='takelab-cell-verdict' "
            f"style='color:{VERDICT_COLOUR[verdict]}'>{esc(verdict)}</b>{why}</div>"
        )

    def _cell(self, r: TakeRecord) -> Any:
        import ipywidgets as w

        video = self.links.take_file(r.take_id, "take.mp4")
        body = (
            synced_video_html(
                video, poster=self.links.take_file(r.take_id, "preview.gif"), width=self.width
            )
            if video
            else "<i>no video file</i>"
        )
        caption = w.HTML(self._caption(r))
        select = w.Checkbox(description="select", indent=False, layout=w.Layout(width="70px"))
        accept = w.Button(icon="check", tooltip="accept", layout=w.Layout(width="44px"))
        reject = w.Button(
            icon="times", tooltip="reject (needs a reason)", layout=w.Layout(width="44px")
        )
        accept.add_class("takelab-cell-accept")
        reject.add_class("takelab-cell-reject")
        select.add_class("takelab-cell-select")
        accept.on_click(lambda _, t=r.take_id: self.decide([t], "accept"))
        reject.on_click(lambda _, t=r.take_id: self.decide([t], "reject"))
        box = w.VBox(
            [
                w.HTML(f"<div class='takelab-cell' data-take='{esc(r.take_id)}'>{body}</div>"),
                caption,
                w.HBox([select, accept, reject]),
            ],
            layout=w.Layout(width=f"{self.width + 6}px"),
        )
        self.cells[r.take_id] = Cell(r, box, caption, select, accept, reject)
        return box

    # -- actions -------------------------------------------------------------------------

    def selected(self) -> list[str]:
        return [take_id for take_id, c in self.cells.items() if c.select.value]

    def set_selected(self, value: bool) -> None:
        for cell in self.cells.values():
            cell.select.value = value

    def decide(self, take_ids: list[str], verdict: str) -> int:
        """Record `verdict` for each take (a rejection with the picked reason); how many were
        recorded. Nothing is recorded for a rejection without a reason."""
        if not take_ids:
            self.status.value = notice(
                "select some cells first (or use a cell's own buttons)", kind="warn"
            )
            return 0
        reasons, note = self.picker.chosen() if verdict == "reject" else ([], "")
        if verdict == "reject" and not reasons:
            self.status.value = notice(NEED_REASON, kind="warn")
            return 0
        done, unlogged, failed = 0, 0, []
        for take_id in take_ids:
            try:
                result = record_verdict(take_id, verdict, reasons, note, home=self.home)
            except Exception as exc:  # one bad take does not stop the rest
                failed.append(f"{take_id[:8]}: {exc}")
                continue
            done += 1
            unlogged += not result.logged
            self.latest[take_id] = result.verdict
            cell = self.cells.get(take_id)
            if cell is not None:
                cell.caption.value = self._caption(cell.record)
                cell.select.value = False
        what = (
            f"{verdict} saved for {done} take{'s' if done != 1 else ''} of {esc(self.shot.value)}"
        )
        if reasons:
            what += f" ({esc(', '.join(reasons))})"
        where = (
            " in the journal and MLflow"
            if not unlogged
            else f" ({unlogged} not yet in MLflow: sync later)"
        )
        errors = "".join(notice(f"not saved: {esc(f)}", kind="error") for f in failed)
        self.status.value = notice(what + where, kind="ok" if not unlogged else "warn") + errors
        if verdict == "reject" and done:
            self.picker.clear()
        return done

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = ["ReviewGrid"]
