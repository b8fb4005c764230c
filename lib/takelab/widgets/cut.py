"""Cut: order the shots, pick a take per shot from the accepted ones, preview, render.

The rows start from the project file's `cut:` section (every shot in file order without
one); a shot left out of the cut is listed unticked at the end. Rendering calls
`make_cut` with the order and takes chosen here, keeping each shot's in/out points,
transition and overlays from the file. Images and the rendered video are shown by URL,
so the notebook stays small.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from takelab.errors import TakelabError
from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord
from takelab.post.cut import CutResult, make_cut
from takelab.post.cut import resolve_project_file as resolve_project
from takelab.post.select import accepted_takes
from takelab.project.cut_model import BEST
from takelab.project.model import load_project
from takelab.widgets._common import esc, notice, resolve_project_file
from takelab.widgets._player import (
    JupyterServer,
    MediaLinks,
    TakeFileServer,
    image_html,
    video_html,
)

NO_TAKE = "(no accepted take)"


def take_label(take: TakeRecord) -> str:
    """How a take reads in the dropdown."""
    return f"{take.take_id[:10]} · {take.variant} · {take.backend} · seed {take.seed}"


class _Row:
    """One shot of the cut: included or not, and its take."""

    def __init__(self, editor: CutEditor, shot: str, take: str, included: bool) -> None:
        import ipywidgets as w

        self.shot = shot
        takes = accepted_takes(editor.journal, editor.project.project, shot)
        options: list[tuple[str, str]] = [("best accepted", BEST)] if takes else [(NO_TAKE, BEST)]
        options += [(take_label(t), t.take_id) for t in takes]
        values = {v for _, v in options}
        chosen = next((v for v in values if v != BEST and v.startswith(take)), BEST)
        self.include = w.Checkbox(value=included, indent=False, layout=w.Layout(width="24px"))
        self.label = w.HTML(f"<b>{esc(shot)}</b>", layout=w.Layout(width="140px"))
        self.take = w.Dropdown(options=options, value=chosen, layout=w.Layout(width="360px"))
        self.up = w.Button(icon="arrow-up", tooltip="earlier", layout=w.Layout(width="36px"))
        self.down = w.Button(icon="arrow-down", tooltip="later", layout=w.Layout(width="36px"))
        self.thumb = w.HTML()
        self.up.on_click(lambda _: editor.move(self, -1))
        self.down.on_click(lambda _: editor.move(self, +1))
        self.best = takes[0] if takes else None
        self.box = w.VBox(
            [
                w.HBox([self.include, self.label, self.take, self.up, self.down]),
                self.thumb,
            ]
        )

    def take_id(self) -> str | None:
        """The take this row would use, or None when the shot has none accepted."""
        value = str(self.take.value)
        if value == BEST:
            return self.best.take_id if self.best else None
        return value


class CutEditor:
    """Order a project's shots, pick takes, preview contact sheets and render the cut."""

    def __init__(
        self,
        project_file: str | Path,
        *,
        home: Home | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        import ipywidgets as w

        self.home = home or Home.from_env()
        self.path = resolve_project_file(project_file)
        if not self.path.exists():  # a project id: prompts/<id>.yaml
            self.path = resolve_project(str(project_file))
        self.project = load_project(self.path)
        self.journal = Journal(self.home.journal_url)
        self.links = links or MediaLinks(self.home)
        self.result: CutResult | None = None

        entries = self.project.cut.shots if self.project.cut else []
        listed = [(e.shot, e.take, True) for e in entries] or [
            (s.id, BEST, True) for s in self.project.shots
        ]
        in_cut = {shot for shot, _, _ in listed}
        listed += [(s.id, BEST, False) for s in self.project.shots if s.id not in in_cut]
        self.rows = [_Row(self, shot, take, included) for shot, take, included in listed]

        self.rows_box = w.VBox()
        self.preview_button = w.Button(description="Preview", icon="image")
        self.render_button = w.Button(description="Render cut", icon="film", button_style="primary")
        self.status = w.HTML()
        self.output = w.HTML()
        self.preview_button.on_click(lambda _: self.preview())
        self.render_button.on_click(lambda _: self.render())
        title = w.HTML(
            f"<h3>Cut of {esc(self.project.project)}</h3>"
            "<div>Tick the shots to use, order them with the arrows and pick a take for "
            "each (default: the best accepted one).</div>"
        )
        self.widget = w.VBox(
            [
                title,
                self.rows_box,
                w.HBox([self.preview_button, self.render_button]),
                self.status,
                self.output,
            ]
        )
        self._layout_rows()
        missing = [r.shot for r in self.rows if r.include.value and r.best is None]
        if missing:
            self.status.value = notice(
                f"No accepted take yet for {esc(', '.join(missing))}: accept one in "
                "03_dailies.ipynb or with <code>takelab verdict TAKE accept</code>.",
                kind="warn",
            )

    def _layout_rows(self) -> None:
        self.rows_box.children = [r.box for r in self.rows]

    def move(self, row: _Row, step: int) -> None:
        """Move a shot earlier (-1) or later (+1) in the cut."""
        i = self.rows.index(row)
        j = min(max(i + step, 0), len(self.rows) - 1)
        self.rows[i], self.rows[j] = self.rows[j], self.rows[i]
        self._layout_rows()

    def order(self) -> list[tuple[str, str]]:
        """The ticked shots in order, with the take chosen for each ("best" or an id)."""
        return [(r.shot, str(r.take.value)) for r in self.rows if r.include.value]

    def preview(self) -> None:
        """Show each ticked shot's contact sheet (the take's frames at a glance)."""
        for row in self.rows:
            take_id = row.take_id() if row.include.value else None
            url = self.links.take_file(take_id, "contact_sheet.png") if take_id else None
            row.thumb.value = image_html(url, width=480, alt=row.shot) if url else ""
        shown = sum(1 for r in self.rows if r.thumb.value)
        self.status.value = notice(f"{shown} contact sheets", kind="info")

    def render(self, *, progress: bool = False) -> CutResult | None:
        """Render the cut as ordered here; the result (or the error) shows below."""
        self.status.value = notice("rendering…")
        try:
            result = make_cut(self.path, shots=self.order(), home=self.home, progress=progress)
        except TakelabError as exc:
            self.status.value = notice(esc(exc), kind="error")
            return None
        self.result = result
        lines = [
            f"{esc(s.entry.shot)}: take <code>{esc(s.take_id)}</code> ({esc(s.reason)})"
            for s in result.takes
        ]
        credentials = result.validation_state or "not signed"
        lines.append(f"content credentials: {esc(credentials)}")
        lines += [f"warning: {esc(w)}" for w in result.warnings]
        self.status.value = notice(
            f"cut written: <code>{esc(result.video)}</code> ({result.duration_s:.2f} s)",
            kind="ok",
        )
        self.output.value = video_html(self._url(result.video)) + "<br>" + "<br>".join(lines)
        return result

    def _url(self, path: Path) -> str:
        jupyter = self.links.jupyter
        if isinstance(jupyter, JupyterServer):
            found = jupyter.files_url(path)
            if found is not None:
                return found
        return TakeFileServer.for_folder(self.home.cuts).url(path)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"CutEditor({html.escape(str(self.path))})"


__all__ = ["CutEditor", "take_label"]
