"""No paid job id is lost from sight: when the journal cannot record the id of a job that
was just created (a full disk, a broken database), the id goes to stderr and to a small
fallback file beside the journal, `lost-jobs.jsonl`; `takelab doctor` imports it.

A full disk would refuse the fallback file too, so each sweep keeps a small reserve file
(`.lost-jobs.reserve`) that is deleted to make room just before the fallback is written.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from takelab.backends import TakeRequest
from takelab.home import Home
from takelab.scrub import scrub

log = logging.getLogger(__name__)

FALLBACK = "lost-jobs.jsonl"
RESERVE = ".lost-jobs.reserve"
RESERVE_BYTES = 64 * 1024


def fallback_path(home: Home) -> Path:
    return home.root / FALLBACK


def keep_reserve(home: Home) -> None:
    """Make sure the reserve file exists (best effort: a full disk simply has none)."""
    path = home.root / RESERVE
    try:
        if path.exists() and path.stat().st_size >= RESERVE_BYTES:
            return
        with path.open("wb") as fh:
            fh.write(b"\0" * RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        path.unlink(missing_ok=True)


def save(
    home: Home, request: TakeRequest, job_id: str, reserved_usd: float, why: BaseException
) -> Path | None:
    """Print the job id to stderr and append it to the fallback file; the file's path, or
    None if even that could not be written (the stderr line is then the only record)."""
    take_id = request.take_id
    path = fallback_path(home)
    print(
        f"takelab: the journal could not record job {job_id} of take {take_id}"
        f" ({request.backend_spec}): {scrub(why)}. The job was created and may be charged;"
        f" it is saved in {path}. Free the disk, then run `takelab doctor` to import it"
        f" (or `takelab resolve {take_id} --job {job_id}`).",
        file=sys.stderr,
        flush=True,
    )
    line = json.dumps(
        {
            "take_id": take_id,
            "job_id": job_id,
            "backend": request.backend,
            "reserved_usd": reserved_usd,
            "request": request.model_dump(mode="json"),
            "at": time.time(),
        }
    )
    (home.root / RESERVE).unlink(missing_ok=True)  # room for the line below on a full disk
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        print(f"takelab: could not write {path} either ({exc})", file=sys.stderr, flush=True)
        return None
    return path


@dataclass
class LostJob:
    take_id: str
    job_id: str
    backend: str
    reserved_usd: float
    request: TakeRequest


def read(home: Home) -> tuple[list[LostJob], list[str]]:
    """The saved jobs, and the lines that could not be read (named in doctor's report)."""
    path = fallback_path(home)
    if not path.exists():
        return [], []
    jobs: list[LostJob] = []
    bad: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        if not raw.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(raw)
            request = TakeRequest.model_validate(data["request"])
            jobs.append(
                LostJob(
                    str(data["take_id"]),
                    str(data["job_id"]),
                    str(data["backend"]),
                    float(data.get("reserved_usd") or 0.0),
                    request,
                )
            )
        except (ValueError, KeyError, TypeError):
            bad.append(f"{path}:{number + 1}")
    return jobs, bad


def forget(home: Home) -> None:
    """Remove the fallback file once every job in it is in the journal."""
    fallback_path(home).unlink(missing_ok=True)


__all__ = ["FALLBACK", "LostJob", "fallback_path", "forget", "keep_reserve", "read", "save"]
