"""`takelab doctor`'s repairs of what a crash leaves behind (issue 13), apart from the
journal-vs-MLflow-vs-files checks in doctor.py:

- a local MLflow store that cannot be opened (a migration killed half-way, from before
  stores were made atomically, or a damaged file): moved aside, never deleted, rebuilt
  empty, and every take and verdict of the journal logged again with `sync`;
- a finished take whose `preview.gif` or `contact_sheet.png` is gone: made again from
  its `take.mp4`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.tracking.store import TrackingStoreError, rebuild_store
from takelab.tracking.tracker import Tracker

if TYPE_CHECKING:
    from takelab.doctor.diagnose import Report

PREVIEWS = ("preview.gif", "contact_sheet.png")


def check_tracking_store(home: Home, journal: Journal, report: Report, repair: bool) -> bool:
    """Whether MLflow can be used afterwards. A damaged local store is reported, and with
    `repair` moved aside, rebuilt and filled again from the journal."""
    tracker = Tracker(home)
    if not tracker.own_store or not home.mlflow_db.exists():
        return True  # a server's store is the server's; a missing one is made on first use
    try:
        _ = tracker.client
    except TrackingStoreError as exc:
        problem = report.add("broken-mlflow-store", str(exc.path), exc.problem)
    else:
        return True
    if not repair:
        return False
    from takelab.review.sync import sync

    # The journal forgets the old runs first: a doctor killed in between leaves takes to
    # log again (the next doctor rebuilds and logs them), never takes bound to lost runs.
    marked = journal.forget_runs()
    aside = rebuild_store(home)
    synced = sync(home)
    problem.detail += (
        f"; moved to {aside.name}, a new store was made and {synced.takes_logged} of"
        f" {marked} takes and {synced.verdicts_logged} verdicts were logged again"
    )
    problem.repaired = not synced.errors
    for error in synced.errors:
        report.add("not-logged", error.split(":", 1)[0], error)
    return True


def check_previews(home: Home, journal: Journal, report: Report, repair: bool) -> None:
    """Previews of finished takes that are missing are made again from the take's video."""
    from takelab.media import io as media

    for record in journal.takes(states=[TakeState.DONE]):
        video = home.take_dir(record.take_id) / "take.mp4"
        if not video.exists():
            continue  # a missing video is doctor's `missing-file` (restored with previews)
        missing = [name for name in PREVIEWS if not (video.parent / name).exists()]
        if not missing:
            continue
        problem = report.add(
            "missing-preview", record.take_id, f"{', '.join(missing)} missing in {video.parent}"
        )
        if not repair:
            continue
        parts = {
            name: video.parent / f".{name}.part{os.getpid()}{Path(name).suffix}" for name in missing
        }
        try:
            media.make_previews(video, parts.get("preview.gif"), parts.get("contact_sheet.png"))
            for name, part in parts.items():
                os.replace(part, video.parent / name)
        except Exception as exc:  # a video that no longer decodes: say so, keep going
            problem.detail += f"; could not make them: {exc}"
        else:
            problem.repaired = True
        finally:
            for part in parts.values():
                part.unlink(missing_ok=True)
