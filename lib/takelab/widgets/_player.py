"""Showing takes in the browser by URL, never as embedded bytes, so notebooks stay small.

A take's files live under TAKELAB_HOME, which need not be inside the folder the Jupyter
server serves. Two ways to reach them, tried in order:

1. The Jupyter server's own `files/` route, when the file lies under the server's root
   folder. The server that started this kernel is found through its runtime info file
   (`jpserver-<pid>.json`, whose pid is the kernel's parent process).
2. Otherwise a small read-only static file server on loopback (127.0.0.1, a free port)
   that serves only `TAKELAB_HOME/takes`, started once per kernel in a daemon thread.
   The browser runs on the same machine as the kernel in a local JupyterLab, so it can
   reach loopback.
"""

from __future__ import annotations

import functools
import html
import io
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal
from urllib.parse import quote, unquote

from takelab.home import Home
from takelab.media.io import has_audio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JupyterServer:
    """What a kernel needs to know about its Jupyter server to build `files/` URLs."""

    root_dir: Path
    base_url: str = "/"

    def files_url(self, path: Path) -> str | None:
        """The server's URL for `path`, or None if the server cannot serve it."""
        try:
            rel = path.resolve().relative_to(self.root_dir.resolve())
        except ValueError:
            return None
        if any(part.startswith(".") for part in rel.parts):
            return None  # the files route refuses hidden paths
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return f"{base}files/{quote(rel.as_posix())}"


def running_server() -> JupyterServer | None:
    """The Jupyter server that started this kernel, if any (None under papermill)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # pragma: no cover - jupyter_core comes with ipykernel
        return None
    parent = os.getppid()
    try:
        infos = sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json"))
    except OSError:
        return None
    for info_file in infos:
        try:
            info = json.loads(info_file.read_text())
        except (OSError, ValueError):
            continue
        if info.get("pid") == parent and info.get("root_dir"):
            return JupyterServer(Path(info["root_dir"]), str(info.get("base_url") or "/"))
    return None


ALLOWED_HOSTS = ("127.0.0.1", "localhost")


_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class _Slice(io.RawIOBase):
    """`length` bytes of an open file from where it stands (the body of a 206 answer)."""

    def __init__(self, file: BinaryIO, length: int) -> None:
        self.file, self.left = file, length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.file.read(size) if size else b""
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.file.close()
        super().close()


class _ReadOnlyHandler(SimpleHTTPRequestHandler):
    """GET and HEAD of files under the served folder only, byte ranges included (a browser
    seeks a video with them: without, setting `currentTime` snaps back to 0): no listings,
    no dotfiles, no path that resolves outside it (symlinks included), only Host 127.0.0.1
    or localhost (a page on another site cannot reach it by DNS rebinding), 400 on bad
    bytes, no logging to the notebook."""

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404, "not found")
        return None

    def do_GET(self) -> None:
        if self._allowed():
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._allowed():
            super().do_HEAD()

    def _allowed(self) -> bool:
        """Check the request; answer it with an error and return False if it is refused."""
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        if name not in ALLOWED_HOSTS:
            self.send_error(403, "forbidden host")
            return False
        target = self._target()
        if target is None:
            self.send_error(400, "bad request")
            return False
        if not target:
            self.send_error(404, "not found")
            return False
        return True

    def _target(self) -> Path | Literal[""] | None:
        """The file asked for; None for a malformed path, "" for one not served."""
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            text = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        if "\0" in text or "\0" in self.path or "\\" in text:
            return None
        parts = [p for p in text.split("/") if p]
        if any(p.startswith(".") for p in parts):
            return ""  # dotfiles and `..`
        root = Path(self.directory).resolve()
        try:
            path = root.joinpath(*parts).resolve()
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_relative_to(root) or not path.is_file():
            return ""
        self._resolved = path
        return path

    def translate_path(self, path: str) -> str:
        # Only ever the file `_target` checked (symlinks resolved, inside the folder).
        resolved = getattr(self, "_resolved", None)
        return str(resolved) if resolved is not None else str(Path(self.directory) / ".none")

    def end_headers(self) -> None:
        # take files never change (the take id is a content hash): let the browser cache
        self.send_header("Cache-Control", "max-age=86400")
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self) -> Any:
        wanted = _RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if wanted is None or not (wanted[1] or wanted[2]) or not os.path.isfile(path):
            return super().send_head()
        try:
            file = open(path, "rb")  # noqa: SIM115 - closed by the server after copying
        except OSError:
            self.send_error(404, "not found")
            return None
        size = os.fstat(file.fileno()).st_size
        if wanted[1]:
            start, end = int(wanted[1]), int(wanted[2]) if wanted[2] else size - 1
        else:  # the last N bytes
            start, end = max(0, size - int(wanted[2])), size - 1
        end = min(end, size - 1)
        if start > end:
            file.close()
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        file.seek(start)
        return _Slice(file, end - start + 1)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class TakeFileServer:
    """A static file server on 127.0.0.1 for one folder, in a daemon thread."""

    _lock = threading.Lock()
    _servers: ClassVar[dict[Path, TakeFileServer]] = {}

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        handler = functools.partial(_ReadOnlyHandler, directory=str(self.root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="takelab-files", daemon=True
        )
        self.thread.start()

    @classmethod
    def for_folder(cls, root: Path) -> TakeFileServer:
        """The one server of this kernel for `root`, started on first use."""
        key = root.resolve()
        with cls._lock:
            server = cls._servers.get(key)
            if server is None:
                server = cls._servers[key] = cls(key)
            return server

    def url(self, path: Path) -> str:
        rel = path.resolve().relative_to(self.root)
        return f"http://127.0.0.1:{self.port}/{quote(rel.as_posix())}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._lock:
            self._servers.pop(self.root, None)


class MediaLinks:
    """Turns take files into URLs for `<video>` and `<img>` tags."""

    def __init__(
        self,
        home: Home | None = None,
        *,
        jupyter: JupyterServer | Literal["auto"] | None = "auto",
    ) -> None:
        self.home = home or Home.from_env()
        self.jupyter = running_server() if jupyter == "auto" else jupyter
        self._unfetchable: set[str] = set()
        self._journal: Any = None  # the team journal, opened on the first fetch

    def url(self, path: Path) -> str:
        """A URL the browser can load for a file in the store's `takes/` folder."""
        if self.jupyter is not None:
            found = self.jupyter.files_url(path)
            if found is not None:
                return found
        return TakeFileServer.for_folder(self.home.takes).url(path)

    def take_file(self, take_id: str, name: str) -> str | None:
        """The URL of `takes/<take_id>/<name>`, or None if the file is not there."""
        path = self.home.take_dir(take_id) / name
        if not path.is_file() and not self._fetch(take_id):
            return None
        return self.url(path) if path.is_file() else None

    def _fetch(self, take_id: str) -> bool:
        """In team mode, bring a colleague's take from MLflow (once; failures are noted)."""
        if not self.home.shared_journal or take_id in self._unfetchable:
            return False
        from takelab.errors import TakelabError
        from takelab.journal.store import Journal, TakeState
        from takelab.review.take_files import fetch_take

        try:
            if self._journal is None:
                self._journal = Journal(self.home.journal_url)
            record = self._journal.get(take_id)
            if record is not None and record.state is TakeState.DONE and record.run_id:
                fetch_take(self.home, record)
                return True
        except TakelabError as exc:
            log.warning("%s", exc)
        self._unfetchable.add(take_id)
        return False


# The unmute control of a take with sound: toggles the video just before it (players start
# muted, as browsers allow autoplay only without sound, and a grid must not talk at once).
_UNMUTE = (
    "const v=this.previousElementSibling;v.muted=!v.muted;if(!v.muted){v.play();}"
    "this.textContent=v.muted?'\U0001f507 unmute':'\U0001f50a mute';"
)


def video_html(
    url: str, *, poster: str | None = None, width: int = 480, sound: bool = False
) -> str:
    """A `<video>` tag that streams from `url` (metadata only until played). It starts
    muted; with `sound`, it plays muted at once and has an unmute button under it."""
    poster_attr = f' poster="{html.escape(poster)}"' if poster else ""
    video = (
        f'<video src="{html.escape(url)}"{poster_attr} controls loop muted playsinline '
        f'{"autoplay " if sound else ""}preload="metadata" '
        f'style="width:{width}px;max-width:100%;background:#111;display:block"></video>'
    )
    if not sound:
        return video
    button = (
        f'<button class="takelab-unmute" title="this take has sound" '
        f'onclick="{html.escape(_UNMUTE)}">\U0001f507 unmute</button>'
    )
    return f'<div class="takelab-player">{video}{button}</div>'


def image_html(url: str, *, width: int = 240, alt: str = "") -> str:
    """An `<img>` that the browser loads only when it scrolls into view."""
    return (
        f'<img src="{html.escape(url)}" alt="{html.escape(alt)}" loading="lazy" '
        f'style="width:{width}px;max-width:100%;display:block;background:#111">'
    )


def take_player(links: MediaLinks, take_id: str, *, width: int = 480) -> str:
    """The take's video with its preview as poster (and an unmute control when it has
    sound), or a note when it has no file."""
    video = links.take_file(take_id, "take.mp4")
    if video is None:
        return f"<i>no video file for take {html.escape(take_id)}</i>"
    sound = has_audio(links.home.take_dir(take_id) / "take.mp4")
    poster = links.take_file(take_id, "preview.gif")
    return video_html(video, poster=poster, width=width, sound=sound)


__all__ = [
    "JupyterServer",
    "MediaLinks",
    "TakeFileServer",
    "image_html",
    "running_server",
    "take_player",
    "video_html",
]
