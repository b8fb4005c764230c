"""The Studio's history panel: every version of the selected variant with its takes,
verdicts and cost, and the word diff between a chosen version and the editor's text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from takelab.project.model import Variant
from takelab.widgets._common import esc, notice
from takelab.widgets._diffview import diff_html, history_html, short

if TYPE_CHECKING:
    from takelab.review.versions import VersionRow
    from takelab.widgets.studio import Studio


class StudioHistory:
    """Versions of the Studio's variant and a diff against the draft (or the saved text)."""

    def __init__(self, studio: Studio) -> None:
        import ipywidgets as w

        self.studio = studio
        self.rows: list[VersionRow] = []
        self.table = w.HTML()
        self.against = w.Dropdown(description="diff with", layout=w.Layout(width="320px"))
        self.diff = w.HTML()
        self._draft: Variant | None = None
        self._filling = False
        self.against.observe(lambda _: self.show_diff(), names="value")
        self.widget = w.VBox(
            [
                w.HTML("<b>History</b> (versions of this variant)"),
                self.table,
                self.against,
                self.diff,
            ]
        )

    def _versions(self) -> list[VersionRow]:
        from takelab.review.versions import versions

        s = self.studio
        if not s.home.has_journal:
            return []
        return versions(s.project.project, shot=s.shot.value, variant=s.variant.value, home=s.home)

    def refresh(self, draft: Variant | None = None) -> None:
        """Redraw the table (versions read again) and the diff; `draft` is the editor's."""
        s = self.studio
        if draft is not None:
            self._draft = draft
        try:
            self.rows = self._versions()
        except Exception as exc:  # a journal that cannot be read: say so, keep editing
            self.rows = []
            self.table.value = notice(f"history unavailable: {esc(exc)}", kind="warn")
            return
        current = s.version_of(s.saved)
        editing = self._draft if self._draft is not None else s.saved
        draft_version = s.version_of(editing)
        self.table.value = history_html(
            self.rows, current=current, draft=draft_version if s.dirty else None
        )
        options = [
            (f"{short(r.version)} · {r.takes} takes, {r.accepted} accepted", r.version)
            for r in self.rows
            if short(r.version) != short(draft_version)
        ]
        if short(current) != short(draft_version) and all(
            short(v) != short(current) for _, v in options
        ):
            options.append((f"{short(current)} · in the file", current))
        self._filling = True
        try:
            previous = self.against.value
            self.against.options = options
            values = [v for _, v in options]
            self.against.value = previous if previous in values else values[-1] if values else None
        finally:
            self._filling = False
        self.against.layout.display = None if options else "none"
        self.show_diff()

    def text_of(self, version: str) -> str | None:
        """The rendered prompt of a version (the file's version from the file)."""
        s = self.studio
        for r in self.rows:
            if r.version == version:
                return r.text
        if short(version) == short(s.version_of(s.saved)):
            return s.saved.render(s.project.defaults)
        return None

    def show_diff(self) -> None:
        from takelab.review.versions import word_diff

        if self._filling:
            return
        s = self.studio
        version = self.against.value
        old = self.text_of(version) if version else None
        if old is None:
            self.diff.value = "<i>one version so far: nothing to compare</i>"
            return
        editing = self._draft if self._draft is not None else s.saved
        new = editing.render(s.project.defaults)
        label = "the draft" if s.dirty else "the file"
        self.diff.value = diff_html(word_diff(old, new), title=f"{short(version)} → {label}")

    def selected(self) -> Any:
        return self.against.value


__all__ = ["StudioHistory"]
