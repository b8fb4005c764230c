"""What the review widgets (Dailies, the review grid) start from: a project's takes with
their latest verdicts, and the links that play them."""

from __future__ import annotations

from pathlib import Path

from takelab.home import Home
from takelab.journal.store import TakeRecord, VerdictRecord
from takelab.widgets._common import project_id
from takelab.widgets._player import MediaLinks


class TakesView:
    """Base of a widget over one project's takes: its home, project id, media links, the
    takes shown and the latest verdict of each."""

    def __init__(
        self, project: str | Path, *, home: Home | None = None, links: MediaLinks | None = None
    ) -> None:
        self.home = home or Home.from_env()
        self.project = project_id(project)
        self.links = links or MediaLinks(self.home)
        self.records: list[TakeRecord] = []
        self.latest: dict[str, VerdictRecord] = {}
