"""A sweep run in a background thread that its caller follows and can stop: what
`takelab sweep` does around the notebook, in the library so that a widget or a script
drives a sweep the same way.

The sweep writes progress events (JSON lines) to the spec's progress file and checks the
spec's stop file between takes; both are plain files, so the same follower works whether
the takes run in this process or in the notebook's kernel (its own process and session,
which a Ctrl-C in the terminal does not reach).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from takelab.home import Home
from takelab.sweep.notebook import sweep_in_notebook
from takelab.sweep.progress import Follow
from takelab.sweep.result import SweepResult
from takelab.sweep.run import run_spec
from takelab.sweep.spec import SweepSpec

POLL_S = 0.2


@dataclass(frozen=True)
class ProgressEvent:
    """One line of a sweep's progress: the grid's size, where unfinished takes stand (a
    Ray cluster's phases), or a take that ended."""

    total: int | None = None
    states: dict[str, int] | None = None
    take_id: str | None = None
    status: str | None = None
    cost_usd: float = 0.0


def check_setup(home: Home) -> None:
    """Refuse, before anything starts or is spent, a store a sweep cannot use: a team
    journal without the team's MLflow, a journal that is down, a login MLflow refuses."""
    _ = home.tracking_uri
    if home.shared_journal:
        from takelab.journal.store import Journal
        from takelab.tracking.tracker import Tracker

        Journal(home.journal_url)
        Tracker(home).check(down_ok=True)


class SweepLaunch:
    """One sweep in a background thread: through the sweep notebook (`in_notebook`, what
    `takelab sweep` does) or in this process. Follow it with `events()`, ask it to stop
    with `stop()` (running takes finish; submitted ones stay resumable), then read
    `result()`, which raises the sweep's own error if it failed. Use it as a context
    manager, so that its files are removed."""

    def __init__(self, spec: SweepSpec, *, in_notebook: bool = True) -> None:
        home = spec.store().ensure()
        stamp = time.time_ns()
        self.spec = spec.model_copy(
            update={
                "home": str(home.root),
                "progress_file": spec.progress_file or str(home.tmp / f"progress-{stamp}.jsonl"),
                "stop_file": spec.stop_file or str(home.tmp / f"stop-{stamp}"),
            }
        )
        self.files = Follow.of(self.spec)
        self.in_notebook = in_notebook
        # An Event, not Thread.join: a join interrupted by Ctrl-C can report a live thread dead.
        self.finished = threading.Event()
        self._result: SweepResult | None = None
        self._error: BaseException | None = None
        self._offset = 0
        self._thread = threading.Thread(target=self._work, name="sweep", daemon=True)

    def start(self) -> SweepLaunch:
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            if self.in_notebook:
                self._result = sweep_in_notebook(self.spec)
            else:
                self._result = run_spec(self.spec, progress=False)
        except BaseException as exc:  # handed to whoever reads result()
            self._error = exc
        finally:
            self.finished.set()

    def events(self, poll_s: float = POLL_S) -> Iterator[ProgressEvent]:
        """Progress events as they come, until the sweep ends."""
        while not self.finished.wait(poll_s):
            yield from self.new_events()
        yield from self.new_events()

    def new_events(self) -> list[ProgressEvent]:
        """The events written since the last call (only whole lines)."""
        path = self.files.progress_file
        if path is None or not path.exists():
            return []
        with path.open() as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        lines = chunk.split("\n")
        self._offset += len(chunk) - len(lines[-1])
        return [_event(json.loads(line)) for line in lines[:-1] if line]

    def stop(self) -> None:
        """Ask the sweep to submit no new takes; the running ones finish."""
        if self.files.stop_file is not None:
            self.files.stop_file.touch()

    def wait(self, poll_s: float = POLL_S) -> None:
        """Until the sweep ends (a Ctrl-C interrupts the wait, not the sweep)."""
        while not self.finished.wait(poll_s):
            pass

    def result(self) -> SweepResult:
        """The sweep's result, or its error raised here (as the same type)."""
        if not self.finished.is_set():
            raise RuntimeError("the sweep is still running: wait() first")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def close(self) -> None:
        for path in (self.files.progress_file, self.files.stop_file):
            if path is not None:
                path.unlink(missing_ok=True)

    def __enter__(self) -> SweepLaunch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _event(data: dict[str, object]) -> ProgressEvent:
    if "total" in data:
        return ProgressEvent(total=int(data["total"]))  # type: ignore[call-overload]
    if "states" in data:
        return ProgressEvent(states=dict(data["states"]))  # type: ignore[call-overload]
    return ProgressEvent(
        take_id=str(data["take"]),
        status=str(data["status"]),
        cost_usd=float(data.get("cost") or 0.0),  # type: ignore[arg-type]
    )
