"""Downloading a finished job's output, bounded: the URL comes from a provider's response,
which takelab does not control.

- Only `https`; plain `http` only to loopback, and only when the provider itself is on
  loopback (as the test fakes and a local gateway are).
- At most MAX_REDIRECTS redirects, each checked like the first URL; never to a private,
  loopback or link-local address unless the provider's own host is one, and then only
  back to the provider's own host and port (not to another local service).
- A size cap per take (TAKELAB_MAX_DOWNLOAD_MB, default DEFAULT_MAX_MB), checked against
  Content-Length up front and against the bytes as they arrive.
- The body goes to a `.part` file that is deleted whatever happens; only a whole file is
  moved into place.

A URL that breaks a rule raises UnusableOutputError: the runner settles the take as failed
with that reason, never leaves it pending.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from takelab.errors import UnusableOutputError
from takelab.settings import settings

if TYPE_CHECKING:
    import httpx

MAX_DOWNLOAD_ENV = "TAKELAB_MAX_DOWNLOAD_MB"
DEFAULT_MAX_MB = 1024.0  # a 10 s 4k clip is a few hundred MB at most
MAX_REDIRECTS = 3
CHUNK = 1 << 20


def max_download_bytes() -> int:
    """The size cap per take, from TAKELAB_MAX_DOWNLOAD_MB (an invalid value: the default)."""
    return int(settings().max_download_mb * 1024 * 1024)


def _is_internal(host: str) -> bool:
    """Whether `host` is, or resolves to, a loopback, private, link-local or reserved address."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False  # unresolvable: the request itself fails, as a transient error
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return any(
        a.is_loopback or a.is_private or a.is_link_local or a.is_reserved or a.is_unspecified
        for a in addresses
    )


def check_url(url: str, *, origin: str | None, backend: str, redirect: bool = False) -> None:
    """Raise UnusableOutputError unless takelab may fetch `url` for a provider at `origin`
    (`redirect`: `url` is where a redirect points)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise UnusableOutputError(backend, "the output URL is malformed") from None
    origin_host = (urlsplit(origin).hostname or "") if origin else ""
    origin_internal = bool(origin_host) and _is_internal(origin_host)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnusableOutputError(
            backend, f"the output URL has the scheme {scheme or 'none'!r}; only https is fetched"
        )
    if not host:
        raise UnusableOutputError(backend, "the output URL names no host")
    internal = _is_internal(host)
    same_service = bool(origin) and parts.netloc.lower() == urlsplit(origin or "").netloc.lower()
    if internal and (not origin_internal or (redirect and not same_service)):
        what = "a redirect points" if redirect else "the output URL points"
        raise UnusableOutputError(
            backend, f"{what} at an internal address ({parts.netloc}); it is not fetched"
        )
    if scheme == "http" and not (internal and origin_internal):
        raise UnusableOutputError(
            backend, f"the output URL is plain http ({host}); only https is fetched"
        )


def download(
    url: str,
    dest: Path,
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
    sleep: Callable[[float], None] | None = None,
    origin: str | None = None,
    backend: str = "download",
    client: httpx.Client | None = None,
) -> Path:
    """Stream `url` to `dest` through a `.part` file under the rules above, retrying
    transient failures. `origin` is the provider's API URL (see ProviderBackend.api_url);
    `client`, a pooled client to reuse (ProviderBackend.http), else a new one per call."""
    import httpx

    from takelab.backends._retry import with_retries

    part = dest.with_name(dest.name + ".part")
    cap = max_download_bytes()

    def once() -> Path:
        current, sent = url, dict(headers or {})
        try:
            for hop in range(MAX_REDIRECTS + 1):
                check_url(current, origin=origin, backend=backend, redirect=hop > 0)
                stream = client.stream if client is not None else httpx.stream
                with stream(
                    "GET", current, headers=sent, timeout=timeout_s, follow_redirects=False
                ) as resp:
                    if resp.is_redirect:
                        target = urljoin(current, resp.headers.get("location", ""))
                        if urlsplit(target).netloc != urlsplit(current).netloc:
                            sent = {}  # headers meant for one host never go to another
                        current = target
                        continue
                    resp.raise_for_status()
                    _check_length(resp.headers.get("content-length"), cap, backend)
                    _write(resp.iter_bytes(CHUNK), part, cap, backend)
                part.replace(dest)
                return dest
            raise UnusableOutputError(backend, f"more than {MAX_REDIRECTS} redirects")
        finally:
            part.unlink(missing_ok=True)

    return with_retries(once, what=f"download {url.split('?')[0]}", sleep=sleep)


def _check_length(value: str | None, cap: int, backend: str) -> None:
    try:
        length = int(value) if value is not None else None
    except ValueError:
        length = None
    if length is not None and length > cap:
        raise UnusableOutputError(
            backend,
            f"the output is {length / 1e6:.1f} MB, over the {cap / 1e6:.0f} MB cap per take"
            f" ({MAX_DOWNLOAD_ENV})",
        )


def _write(chunks: Iterable[bytes], part: Path, cap: int, backend: str) -> None:
    written = 0
    with part.open("wb") as fh:
        for chunk in chunks:
            written += len(chunk)
            if written > cap:
                raise UnusableOutputError(
                    backend,
                    f"the output passed the {cap / 1e6:.0f} MB cap per take ({MAX_DOWNLOAD_ENV})"
                    "; the partial file was deleted",
                )
            fh.write(chunk)


def write_stream(chunks: Iterable[bytes], dest: Path, *, backend: str = "download") -> Path:
    """Write byte chunks to `dest` through a `.part` file, under the size cap."""
    part = dest.with_name(dest.name + ".part")
    try:
        _write(chunks, part, max_download_bytes(), backend)
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


__all__ = ["MAX_DOWNLOAD_ENV", "check_url", "download", "max_download_bytes", "write_stream"]
