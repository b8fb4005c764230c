"""The Ray cluster under a sweep: the executor, joining or starting a cluster, closing it.

The `RayBackend` proxy that moves a backend's calls onto the cluster, and the tasks that
run on its workers, are in ray_sweep.py.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

from takelab.backends import Backend
from takelab.errors import UsageError
from takelab.sweep.ray_run import JobBoard, RayBackend

if TYPE_CHECKING:
    from takelab.sweep.plan import PlannedTake

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'takelab[ray]' (or `pip install .[ray]` in a checkout)"
CONNECT_TIMEOUT_S = 5.0


def import_ray() -> ModuleType:
    """The `ray` module, or a UsageError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(
            "the ray executor needs Ray, which is not installed", hint=INSTALL_HINT
        ) from None
    return ray


def check_address(address: str | None) -> None:
    """Fail fast (seconds, not Ray's minute of retries) when a cluster address is not
    reachable; `auto`, `local` and no address are left to Ray."""
    if not address or address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError(
            f"bad Ray address {address!r}",
            hint="write HOST:PORT (GCS) or ray://HOST:PORT (Ray Client)",
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}",
            hint="start one with `ray start --head`, or leave the address out to start a local one",
        ) from None


class RayCluster:
    """A connection to a Ray cluster for one sweep: started locally or joined by address,
    and closed (a local cluster stopped) by whoever opened it."""

    def __init__(self, ray: ModuleType, *, owned: bool, address: str | None) -> None:
        self.ray = ray
        self.owned = owned
        self.address = address
        self.board = JobBoard()
        self._wrapped: dict[str, RayBackend] = {}

    def wrap(self, planned: Sequence[PlannedTake]) -> list[PlannedTake]:
        """The planned takes with their backends' calls moved onto the cluster."""
        out = []
        for p in planned:
            proxy = self._wrapped.get(p.backend.spec)
            if proxy is None:
                self._check_gpus(p.backend)
                proxy = RayBackend(p.backend, self.ray, self.board)
                self._wrapped[p.backend.spec] = proxy
            out.append(replace(p, backend=proxy))
        return out

    def _check_gpus(self, backend: Backend) -> None:
        need = backend.gpus_per_take() if backend.runs_locally else 0.0
        if need <= 0:
            return
        have = float(self.ray.cluster_resources().get("GPU", 0.0))
        if have < need:
            raise UsageError(
                f"{backend.spec} needs {need:g} GPU per take but the Ray cluster has {have:g}",
                hint="connect to a cluster with GPUs (--ray-address) or use the threads executor",
            )

    def close(self) -> None:
        if self.owned:
            self.ray.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def connect(address: str | None) -> RayCluster:
    """Join the cluster at `address` (or RAY_ADDRESS), or start a local one; a connection
    this process already has (a notebook's own `ray.init`) is used as it is."""
    ray = import_ray()
    if ray.is_initialized():
        return RayCluster(ray, owned=False, address=address)
    address = address or os.environ.get("RAY_ADDRESS") or None
    check_address(address)
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": True}
    if address is None:
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        # No dashboard; its port is still bound by Ray, so pick a free one rather than
        # collide with another cluster on this machine.
        kwargs.update(include_dashboard=False, dashboard_port=_free_port())
    try:
        ray.init(address=address, **kwargs)
    except Exception as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
        hint = None
        if "token" in str(exc).lower() or "authenticat" in str(exc).lower():
            hint = "the cluster wants its token: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN"
        raise UsageError(f"cannot start or join {where}: {exc}", hint=hint) from None
    log.info("sweep takes run on %s", f"the Ray cluster at {address}" if address else "local Ray")
    return RayCluster(ray, owned=True, address=address)


@contextmanager
def executor_session(executor: str, ray_address: str | None) -> Iterator[RayCluster | None]:
    """A Ray cluster for the sweep's takes (None for local threads), closed afterwards."""
    if executor != "ray":
        yield None
        return
    cluster = connect(ray_address)
    try:
        yield cluster
    finally:
        cluster.close()
