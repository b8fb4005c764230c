"""A take's files on this machine: from the local store, or fetched from MLflow.

In team mode the journal is shared but `takes/` is not: a take made on a colleague's
machine has its files only in its MLflow run (through the server's artifact proxy).
The first time Dailies or a cut needs them they are downloaded into this machine's
`takes/<take id>/`, checked against the journal's sha256, and kept.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

from takelab.errors import TakelabError
from takelab.home import Home
from takelab.journal.store import TakeRecord, TakeState

log = logging.getLogger(__name__)

VIDEO = "take.mp4"
_FETCH_LOCK = threading.Lock()


def local_take_dir(home: Home, record: TakeRecord, *, fetch: bool = True) -> Path | None:
    """The folder with this take's video on this machine, fetching it from MLflow when it
    is only there; None when the take has no video anywhere."""
    mine = home.take_dir(record.take_id)
    if (mine / VIDEO).is_file():
        return mine
    if record.path and Path(record.path).is_file():
        return Path(record.path).parent
    if not fetch or record.state is not TakeState.DONE or not record.run_id:
        return None
    return fetch_take(home, record)


def local_video(home: Home, record: TakeRecord, *, fetch: bool = True) -> Path | None:
    """The take's video file on this machine (see `local_take_dir`)."""
    folder = local_take_dir(home, record, fetch=fetch)
    return folder / VIDEO if folder is not None else None


def fetch_take(home: Home, record: TakeRecord) -> Path:
    """Download a take's files from its MLflow run into `takes/<take id>/` (whole or not at
    all), checking the video against the journal's checksum."""
    from takelab.media.probe import file_sha256
    from takelab.tracking.tracker import Tracker

    if not record.run_id:
        raise TakelabError(
            f"take {record.take_id} has no MLflow run to fetch its files from",
            hint="the machine that made it runs `takelab sync` to log it",
        )
    final = home.take_dir(record.take_id)
    with _FETCH_LOCK:
        if (final / VIDEO).is_file():
            return final
        home.ensure()
        scratch = home.tmp / f"{record.take_id}.fetch"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        try:
            try:
                Tracker(home).client.download_artifacts(record.run_id, "", str(scratch))
            except Exception as exc:
                raise TakelabError(
                    f"could not fetch the files of take {record.take_id} from MLflow "
                    f"(run {record.run_id}): {exc}",
                    hint="check MLFLOW_TRACKING_URI and your MLflow login, then try again",
                ) from None
            video = scratch / VIDEO
            if not video.is_file():
                raise TakelabError(
                    f"the MLflow run of take {record.take_id} has no {VIDEO}",
                    hint="the machine that made it runs `takelab sync`",
                )
            if record.sha256 and file_sha256(video) != record.sha256:
                raise TakelabError(
                    f"the {VIDEO} fetched for take {record.take_id} does not match the "
                    "journal's checksum; it was not kept",
                    hint="run `takelab doctor` on the machine that made it",
                )
            if final.exists():
                shutil.rmtree(final)
            scratch.rename(final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    log.info("fetched take %s from MLflow run %s", record.take_id, record.run_id)
    return final
