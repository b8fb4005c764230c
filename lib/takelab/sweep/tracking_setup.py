"""A sweep's MLflow side, set up while the provider works.

Importing MLflow and opening (or creating) its store costs seconds; a provider job costs
the same seconds whether takelab waits before or after submitting it. So a sweep starts
this set-up on a thread and submits its first takes at once; a take waits for it only
when it has something to log. If MLflow cannot be reached the sweep goes on without it
(`takelab sync` logs the takes later), exactly as when the set-up ran first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from takelab.errors import TakelabError
from takelab.home import Home
from takelab.journal.store import Journal
from takelab.tracking.store import TrackingStoreError

if TYPE_CHECKING:
    from takelab.tracking.tracker import Tracker

log = logging.getLogger(__name__)


class SweepTracking:
    """The sweep run in MLflow and the tracker that writes it, made on a background thread;
    `tracker`, `sweep_run_id` and `experiment_id` wait for it, `*_now` do not."""

    def __init__(
        self,
        home: Home,
        journal: Journal,
        *,
        project: str,
        sweep_id: str,
        params: Mapping[str, Any],
        sweep_run_id: str | None = None,
        enabled: bool = True,
    ) -> None:
        self._home = home
        self._journal = journal
        self._project = project
        self._sweep_id = sweep_id
        self._params = dict(params)
        self._tracker: Tracker | None = None
        self._run_id = sweep_run_id
        self._experiment_id: str | None = None
        self.artifact_uri: str | None = None
        self.warning: str | None = None
        self.denied: TakelabError | None = None  # the server refused the login (team mode)
        self._done = threading.Event()
        if not enabled:
            self._done.set()
        elif home.tracking_uri.startswith(("http://", "https://")):
            # A server: its answer decides whether to spend at all (a wrong login must stop
            # the sweep before any create), and there is no local store to build meanwhile.
            self._setup()
        else:
            threading.Thread(target=self._setup, name="mlflow-setup", daemon=True).start()

    def _setup(self) -> None:
        try:
            from takelab.tracking.tracker import Tracker

            tracker = Tracker(self._home)
            self._experiment_id = tracker.experiment_id(self._project)
            if self._run_id is None:
                name = datetime.now(UTC).strftime("sweep-%Y%m%d-%H%M%S")
                self._run_id = tracker.start_sweep(
                    self._project,
                    name=name,
                    params=self._params,
                    tags={"takelab.sweep_id": self._sweep_id},
                )
            self._journal.set_sweep_run(self._sweep_id, self._run_id)
            # Where the sweep run's artifacts go: the process that ran the notebook copies
            # the executed notebook there without importing MLflow (notebook_run.py).
            self.artifact_uri = tracker.client.get_run(self._run_id).info.artifact_uri
            self._tracker = tracker
        except TrackingStoreError as exc:
            # Not "unreachable": the file is there and broken, and waiting will not mend it.
            self.warning = f"{exc}; takes are journalled, and logged once the store is repaired"
            log.warning(self.warning)
        except Exception as exc:
            from takelab.tracking.errors import refused

            self.denied = refused(exc)
            if self.denied is not None:
                return
            self.warning = (
                f"MLflow is unreachable ({exc}); takes are journalled and `takelab sync` logs them"
            )
            log.warning(self.warning)
        finally:
            self._done.set()

    def wait(self) -> None:
        """Block until the set-up has ended, one way or the other."""
        self._done.wait()

    @property
    def tracker(self) -> Tracker | None:
        self.wait()
        return self._tracker

    @property
    def sweep_run_id(self) -> str | None:
        self.wait()
        return self._run_id

    @property
    def experiment_id(self) -> str | None:
        self.wait()
        return self._experiment_id

    def sweep_run_id_now(self) -> str | None:
        """The sweep run's id if it exists yet (a take claimed before it gets it at log time)."""
        return self._run_id if self._done.is_set() else None
