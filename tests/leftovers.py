"""What a finished operation may leave behind in this process: ffmpeg children still
running, and files still open (tests compare before and after)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def ffmpeg_children() -> list[str]:
    """Command lines of this process's live ffmpeg children."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "ffmpeg" in cmd:
            out.append(cmd)
    return out


def open_files() -> list[str]:
    """What this process's file descriptors point to, sorted."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sorted(out)
