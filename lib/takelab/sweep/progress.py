"""A sweep's progress: a tqdm bar in notebooks and terminals, and JSON lines in the file
named by TAKELAB_PROGRESS_FILE for a parent process (the CLI) to follow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from takelab.settings import settings
from takelab.sweep.take import Outcome

PROGRESS_ENV = "TAKELAB_PROGRESS_FILE"
STOP_ENV = "TAKELAB_STOP_FILE"  # a parent process asks a kernel's sweep to stop


class SweepProgress:
    """A tqdm bar in notebooks/terminals, plus JSON lines for a parent CLI to follow."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="takes", unit="take")
        path = settings().progress_file
        self.file = Path(path).open("a", buffering=1) if path else None  # noqa: SIM115
        self.last = ""
        self.phases: dict[str, int] = {}
        self._emit({"total": total})

    def _emit(self, event: dict[str, Any]) -> None:
        if self.file is not None:
            self.file.write(json.dumps(event) + "\n")

    def update(self, outcome: Outcome) -> None:
        self.last = f"{outcome.shot}/{outcome.variant} {outcome.status}"
        if self.bar is not None:
            self.bar.update(1)
            self._postfix()
        self._emit({"take": outcome.take_id, "status": outcome.status, "cost": outcome.cost_usd})

    def states(self, phases: dict[str, int]) -> None:
        """Where the unfinished takes stand (e.g. on a Ray cluster: 3 running, 1 fetching)."""
        if phases == self.phases:
            return
        self.phases = phases
        if self.bar is not None:
            self._postfix()
        self._emit({"states": phases})

    def _postfix(self) -> None:
        now = ", ".join(f"{n} {phase}" for phase, n in self.phases.items())
        self.bar.set_postfix_str(" | ".join(filter(None, [self.last, now])))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.file is not None:
            self.file.close()
