"""Dailies: review takes one at a time or as a paged grid, and accept or reject them.

A rejection needs a reason (a quick pick or free text): `r` or Reject without one asks
for it and records nothing. Only the current take (or the current page of the grid) is
turned into widgets, and videos and previews are loaded by the browser from URLs (see
`_player`), so a project with hundreds of takes opens as fast as one with three. A verdict
goes through `record_verdict`: the journal and the take's MLflow run change at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.review.verdicts import record_verdict
from takelab.widgets._common import close_widgets, esc, link, notice
from takelab.widgets._dailies_view import take_info_html, verdict_history_html
from takelab.widgets._diffview import short
from takelab.widgets._player import MediaLinks, image_html, take_player
from takelab.widgets._reasons import NEED_REASON, ReasonPicker
from takelab.widgets._takes_view import TakesView

ALL = "(all)"
VERDICT_FILTERS = ("unreviewed first", "unreviewed", "accept", "reject", "all")
MODES = ("one at a time", "grid")
KEYS = {"a": "accept", "r": "reject", "j": "next", "n": "next", "k": "previous", "p": "previous"}


def _ago(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


class Dailies(TakesView):
    """Review the finished takes of a project (an id or a project file)."""

    def __init__(
        self,
        project: str | Path,
        *,
        page_size: int = 12,
        mode: str = "one at a time",
        home: Home | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        import ipywidgets as w

        super().__init__(project, home=home, links=links)
        self.page_size = page_size
        self.all: list[TakeRecord] = []
        self.index = 0
        self.page = 0
        self._experiment: str | None = None
        self._open_journal: Journal | None = None

        self.shot = w.Dropdown(description="shot", options=[ALL], layout=w.Layout(width="200px"))
        self.variant = w.Dropdown(
            description="variant", options=[ALL], layout=w.Layout(width="200px")
        )
        self.version = w.Dropdown(
            description="version", options=[ALL], layout=w.Layout(width="280px")
        )
        self.backend = w.Dropdown(
            description="backend", options=[ALL], layout=w.Layout(width="240px")
        )
        self.verdict = w.Dropdown(
            description="verdict", options=VERDICT_FILTERS, layout=w.Layout(width="240px")
        )
        self.mode = w.ToggleButtons(options=MODES, value=mode)
        for control in (self.shot, self.variant, self.version, self.backend, self.verdict):
            control.observe(lambda _: self.apply_filters(), names="value")
        self.mode.observe(lambda _: self.render(), names="value")

        # one at a time
        self.position = w.HTML()
        self.player = w.HTML()
        self.info = w.HTML(layout=w.Layout(width="100%"))
        self.history = w.HTML()
        self.picker = ReasonPicker(label="<b>Reasons</b> (a rejection needs one)")
        self.reasons = self.picker.buttons
        self.note = self.picker.text
        self.accept_button = w.Button(description="Accept", button_style="success", icon="check")
        self.reject_button = w.Button(description="Reject", button_style="danger", icon="times")
        self.prev_button = w.Button(description="Previous", icon="arrow-left")
        self.next_button = w.Button(description="Next", icon="arrow-right")
        self.keys = w.Text(
            placeholder="keys: a accept · r reject · j next · k previous",
            continuous_update=True,
            layout=w.Layout(width="330px"),
        )
        self.accept_button.on_click(lambda _: self.decide("accept"))
        self.reject_button.on_click(lambda _: self.decide("reject"))
        self.prev_button.on_click(lambda _: self.go(self.index - 1))
        self.next_button.on_click(lambda _: self.go(self.index + 1))
        self.keys.observe(self._on_key, names="value")
        self.single = w.VBox(
            [
                self.position,
                w.HBox(
                    [
                        w.VBox([self.player], layout=w.Layout(min_width="500px")),
                        w.VBox([self.info, self.history], layout=w.Layout(flex="1")),
                    ]
                ),
                self.picker.widget,
                self.keys,
                w.HBox(
                    [self.prev_button, self.accept_button, self.reject_button, self.next_button]
                ),
            ]
        )

        # grid
        self.page_label = w.HTML()
        self.prev_page = w.Button(description="Previous page", icon="arrow-left")
        self.next_page = w.Button(description="Next page", icon="arrow-right")
        self.prev_page.on_click(lambda _: self.go_page(self.page - 1))
        self.next_page.on_click(lambda _: self.go_page(self.page + 1))
        self.cards = w.GridBox(
            layout=w.Layout(grid_template_columns="repeat(auto-fill, 260px)", grid_gap="8px")
        )
        self.grid = w.VBox([w.HBox([self.prev_page, self.page_label, self.next_page]), self.cards])

        self.status = w.HTML()
        self.empty = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _: self.reload())
        self.filters_row = w.HBox(
            [
                self.shot,
                self.variant,
                self.version,
                self.backend,
                self.verdict,
                self.refresh_button,
            ],
            layout=w.Layout(flex_flow="row wrap"),
        )
        self.widget = w.VBox(
            [self.filters_row, self.empty, self.mode, self.single, self.grid, self.status]
        )
        self.widget.add_class("takelab-dailies")
        self.reload()

    # -- data ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the takes and verdicts from the journal again."""
        journal = self._journal()
        if journal is not None:
            self.all = journal.takes(project=self.project, states=[TakeState.DONE])
            self.latest = journal.latest_verdicts()
        else:
            self.all, self.latest = [], {}
        self._set_options(self.shot, sorted({r.shot for r in self.all}))
        self._set_options(self.variant, sorted({r.variant for r in self.all}))
        self._set_options(self.version, sorted({self.version_of(r) for r in self.all}))
        self._set_options(self.backend, sorted({f"{r.backend}:{r.model}" for r in self.all}))
        self.apply_filters()

    def _journal(self) -> Journal | None:
        """The store's journal, opened once it exists (a fresh store has none)."""
        if self._open_journal is None and self.home.has_journal:
            self._open_journal = Journal(self.home.journal_url)
        return self._open_journal

    @staticmethod
    def _set_options(control: Any, values: list[str]) -> None:
        current = control.value
        control.options = [ALL, *values]
        control.value = current if current in control.options else ALL

    @staticmethod
    def version_of(r: TakeRecord) -> str:
        """`walk/v2@3f2a9c1b`: a version as the filter names it."""
        return f"{r.shot}/{r.variant}@{short(r.request.variant_hash or '?')}"

    def verdict_of(self, take_id: str) -> str:
        v = self.latest.get(take_id)
        return v.verdict if v else "unreviewed"

    def apply_filters(self) -> None:
        """Filter by shot, variant, backend and verdict; unreviewed takes first by default."""
        out = [
            r
            for r in self.all
            if self.shot.value in (ALL, r.shot)
            and self.variant.value in (ALL, r.variant)
            and self.version.value in (ALL, self.version_of(r))
            and self.backend.value in (ALL, f"{r.backend}:{r.model}")
        ]
        wanted = self.verdict.value
        if wanted in ("unreviewed", "accept", "reject"):
            out = [r for r in out if self.verdict_of(r.take_id) == wanted]
        elif wanted == "unreviewed first":
            out.sort(key=lambda r: self.verdict_of(r.take_id) != "unreviewed")
        self.records = out
        self.index = 0
        self.page = 0
        self.render()

    @property
    def current(self) -> TakeRecord | None:
        return self.records[self.index] if 0 <= self.index < len(self.records) else None

    # -- actions -------------------------------------------------------------------------

    def go(self, index: int) -> None:
        """Show the take at `index` of the filtered list (clamped)."""
        self.index = max(0, min(index, len(self.records) - 1))
        self.render()

    def go_page(self, page: int) -> None:
        pages = max(1, -(-len(self.records) // self.page_size))
        self.page = max(0, min(page, pages - 1))
        self.render()

    def open(self, take_id: str) -> None:
        """Review one take (from the grid)."""
        for i, r in enumerate(self.records):
            if r.take_id == take_id:
                self.index = i
        self.mode.value = "one at a time"
        self.render()

    def selected_reasons(self) -> list[str]:
        return self.picker.chosen()[0]

    def decide(self, verdict: str) -> None:
        """Record a verdict for the current take, then move to the next one. A rejection
        without a reason is not recorded: the user is asked for one."""
        record = self.current
        if record is None:
            return
        reasons, note = self.picker.chosen()
        if verdict == "reject" and not reasons:
            self.status.value = notice(NEED_REASON, kind="warn")
            return
        try:
            result = record_verdict(
                record.take_id,
                verdict,
                reasons if verdict == "reject" else [],
                note,
                home=self.home,
            )
        except Exception as exc:
            self.status.value = notice(f"not saved: {esc(exc)}", kind="error")
            return
        self.latest[record.take_id] = result.verdict
        if result.deferred_to:  # a colleague's take: their next sync shows it on the run
            where = f"journal as your verdict ({esc(result.deferred_to)}'s sync logs it)"
        elif result.logged:
            where = "journal and MLflow"
        else:
            where = "journal (MLflow unreachable: sync later)"
        self.status.value = notice(
            f"{esc(verdict)} saved for {esc(record.shot)}/{esc(record.variant)} "
            f"{esc(record.backend)} seed {record.seed} in the {where}",
            kind="ok" if result.logged or result.deferred_to else "warn",
        )
        self.picker.clear()
        if self.index + 1 < len(self.records):
            self.index += 1
        self.render()

    def _on_key(self, change: dict[str, Any]) -> None:
        typed = str(change["new"])
        if not typed:
            return
        action = KEYS.get(typed[-1].lower())
        self.keys.value = ""
        if action in ("accept", "reject"):
            self.decide(action)
        elif action == "next":
            self.go(self.index + 1)
        elif action == "previous":
            self.go(self.index - 1)

    # -- drawing -------------------------------------------------------------------------

    def _run_link(self, record: TakeRecord) -> str:
        if not record.run_id:
            return ""
        from takelab.tracking.tracker import Tracker, run_link

        if self._experiment is None:
            try:
                self._experiment = Tracker(self.home).experiment_id(self.project)
            except Exception:  # MLflow unreachable: no link, the rest still works
                return ""
        url = run_link(self._experiment, record.run_id)
        return " · " + link(url, "MLflow run")

    def _info(self, r: TakeRecord) -> str:
        return take_info_html(
            r, self.verdict_of(r.take_id), self._run_link(r), chain=self._chain(r)
        )

    def _chain(self, r: TakeRecord) -> str:
        """Where an extended take comes from and which takes continue it (`extend:`)."""
        parts = []
        if r.request.extend:
            parts.append(f"extends <code>{esc(r.request.extend)}</code>")
        children = [x.take_id for x in self.records if x.request.extend == r.take_id]
        if children:
            codes = ", ".join(f"<code>{esc(c)}</code>" for c in children)
            parts.append(f"continued by {codes}")
        if not parts:
            return ""
        return f"<div class='takelab-chain'><b>Chain</b> {' · '.join(parts)}</div>"

    def _history(self, take_id: str) -> str:
        return verdict_history_html(self._journal(), take_id)

    def _card(self, r: TakeRecord) -> Any:
        import ipywidgets as w

        preview = self.links.take_file(r.take_id, "preview.gif")
        verdict = self.verdict_of(r.take_id)
        colour = {"accept": "#1e7b34", "reject": "#b42318"}.get(verdict, "#555")
        caption = (
            f"<div><b>{esc(r.shot)}/{esc(r.variant)}</b> {esc(r.backend)} s{r.seed} "
            f"<span style='color:{colour}'>{esc(verdict)}</span></div>"
        )
        body = image_html(preview, width=250, alt=r.take_id) if preview else "<i>no preview</i>"
        button = w.Button(description="Review", layout=w.Layout(width="250px"))
        button.on_click(lambda _, take_id=r.take_id: self.open(take_id))
        return w.VBox([w.HTML(body + caption), button], layout=w.Layout(width="260px"))

    def render(self) -> None:
        """Redraw what is visible: the current take, or the current page of the grid."""
        has_takes = bool(self.all)
        if not has_takes:
            self.empty.value = notice(
                f"No finished takes for project <b>{esc(self.project)}</b> yet. Run a sweep "
                "first (<code>notebooks/02_sweep.ipynb</code>, <code>takelab sweep "
                "prompts/&lt;project&gt;.yaml</code>, or Generate in the Studio), then press "
                "Refresh or rerun this cell."
            )
        else:
            self.empty.value = "" if self.records else notice("No takes match these filters.")
        for box in (self.filters_row, self.mode):
            box.layout.display = None if has_takes else "none"
        grid = self.mode.value == "grid"
        self.single.layout.display = "none" if grid or not self.records else None
        self.grid.layout.display = None if grid and self.records else "none"
        if grid:
            self._render_grid()
        else:
            self._render_single()

    def _render_single(self) -> None:
        r = self.current
        if r is None:
            return
        unreviewed = sum(1 for x in self.records if self.verdict_of(x.take_id) == "unreviewed")
        self.position.value = (
            f"take {self.index + 1} of {len(self.records)} · {unreviewed} unreviewed"
        )
        self.player.value = take_player(self.links, r.take_id, width=480)
        self.info.value = self._info(r)
        self.history.value = self._history(r.take_id)
        self.prev_button.disabled = self.index == 0
        self.next_button.disabled = self.index >= len(self.records) - 1

    def _render_grid(self) -> None:
        pages = max(1, -(-len(self.records) // self.page_size))
        start = self.page * self.page_size
        shown = self.records[start : start + self.page_size]
        self.page_label.value = (
            f"&nbsp;page {self.page + 1} of {pages} ({len(self.records)} takes)&nbsp;"
        )
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page >= pages - 1
        old = list(self.cards.children)
        self.cards.children = [self._card(r) for r in shown]
        close_widgets(old)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = ["Dailies"]
