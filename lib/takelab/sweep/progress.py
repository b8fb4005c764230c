"""A sweep's progress: a tqdm bar in notebooks and terminals, and JSON lines in the spec's
progress file for a follower (`takelab sweep`, launch.py) to read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from takelab.sweep.result import Outcome

if TYPE_CHECKING:
    from takelab.sweep.spec import SweepSpec


@dataclass(frozen=True)
class Follow:
    """The two files a follower shares with a running sweep: progress events it reads, and
    a stop file it creates to ask the sweep to submit no new takes."""

    progress_file: Path | None = None
    stop_file: Path | None = None

    @classmethod
    def of(cls, spec: SweepSpec) -> Follow:
        return cls(
            Path(spec.progress_file) if spec.progress_file else None,
            Path(spec.stop_file) if spec.stop_file else None,
        )

    def stop_asked(self) -> bool:
        return self.stop_file is not None and self.stop_file.exists()


class SweepProgress:
    """A tqdm bar in notebooks/terminals, plus JSON lines for a follower."""

    def __init__(self, total: int, enabled: bool, progress_file: Path | None = None) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="takes", unit="take")
        self.file = progress_file.open("a", buffering=1) if progress_file else None
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
