"""The MLflow tracking store's schema: made whole or not at all, checked on open.

MLflow migrates a new SQLite store in place, statement by statement, and SQLite commits
each DDL statement on its own: a process killed during those seconds leaves a store that
no later open can finish (`duplicate column name`, `table _alembic_tmp_experiments already
exists`, ...). So takelab never lets MLflow create `TAKELAB_HOME/mlflow.db`:

- a new store is a copy of an empty, fully migrated *template*, made in a temporary file
  beside the store, checked against MLflow's alembic head revision, then `os.replace`d
  into place, under a file lock so that concurrent first runs wait for one another;
- the template itself is built once per MLflow schema in a cache folder (the same way:
  temporary file, check, rename), so a new store costs a file copy, not a migration;
- a store whose schema is behind (MLflow was upgraded) is upgraded in a copy, checked and
  renamed the same way; a store that cannot be opened or upgraded is reported as
  `TrackingStoreError`, naming the file and the command that repairs it (`takelab doctor`,
  see `rebuild_store`).

A team's store (PostgreSQL behind `mlflow server`) is checked with `schema_problem` too;
PostgreSQL rolls an interrupted migration back, and `python -m takelab.team upgrade` runs
the rest.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takelab.errors import TRACKING_REPAIR_HINT, TakelabError
from takelab.errors import TrackingStoreError as TrackingStoreError  # defined with every error
from takelab.home import Home
from takelab.settings import settings

log = logging.getLogger(__name__)

CACHE_ENV = "TAKELAB_CACHE_DIR"
LEFTOVER_PREFIX = "_alembic_tmp_"
SIDE_FILES = ("-journal", "-wal", "-shm")
REPAIR_HINT = TRACKING_REPAIR_HINT


class StoreProblem(str):
    """A one-line reason a store is not usable; `kind` says what can be done about it:
    `empty` (make it), `behind` (upgrade a copy), `broken` (only doctor can help)."""

    kind: str

    def __new__(cls, kind: str, text: str) -> StoreProblem:
        self = super().__new__(cls, text)
        self.kind = kind
        return self


def _db_utils() -> Any:
    """MLflow's store helpers (untyped; private names, pinned by the tests of this module)."""
    return importlib.import_module("mlflow.store.db.utils")


@functools.cache
def head_revision() -> str:
    """The alembic revision a store must be at for this MLflow (its only head)."""
    return str(_db_utils()._get_latest_schema_revision())


def schema_problem(
    db_uri: str, *, connect_args: dict[str, Any] | None = None
) -> StoreProblem | None:
    """Why the MLflow database at `db_uri` (SQLAlchemy URI) is not a whole store at the head
    revision, in one line; None when it is. An empty database is a problem too."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(
        db_uri, poolclass=sqlalchemy.pool.NullPool, connect_args=connect_args or {}
    )
    try:
        with engine.connect() as conn:
            tables = set(sqlalchemy.inspect(conn).get_table_names())
            leftovers = sorted(t for t in tables if t.startswith(LEFTOVER_PREFIX))
            if leftovers:
                return StoreProblem(
                    "broken", f"a migration was interrupted: table {leftovers[0]} was left behind"
                )
            if "alembic_version" not in tables:
                if not tables:
                    return StoreProblem("empty", "the database is empty")
                return StoreProblem(
                    "broken", "a migration was interrupted: the schema has no revision"
                )
            rows = conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version"))
            revisions = [str(r[0]) for r in rows]
    except sqlalchemy.exc.DBAPIError as exc:
        return StoreProblem("broken", f"it cannot be read ({_first_line(exc.orig or exc)})")
    finally:
        engine.dispose()
    head = head_revision()
    if revisions != [head]:
        found = ", ".join(revisions) or "none"
        return StoreProblem(
            "behind", f"its schema is at revision {found}; this MLflow needs {head}"
        )
    return None


def _sqlite_uri(path: Path) -> str:
    return f"sqlite:///{path}"


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- locking and atomic files -----------------------------------------------------------


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """An exclusive lock on `lock` (created if needed); released when the process dies."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tmp_beside(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _remove_stale(path: Path) -> None:
    """Temporary files a killed creator left beside `path` (only called under the lock,
    when nobody else can be writing one)."""
    for stale in path.parent.glob(f"{path.name}.tmp-*"):
        stale.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, path: Path) -> None:
    """Check `tmp` is a whole store at the head revision, then rename it to `path`."""
    problem = schema_problem(_sqlite_uri(tmp))
    if problem is not None:
        raise TakelabError(f"a new MLflow store did not come out whole: {problem}")
    for suffix in SIDE_FILES:
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def _migrate(db: Path) -> None:
    """Run every MLflow migration on a new, empty SQLite file."""
    from takelab.tracking.names import quiet_mlflow

    quiet_mlflow()
    utils = _db_utils()
    engine = utils.create_sqlalchemy_engine(_sqlite_uri(db))
    try:
        utils._initialize_tables(engine)
    finally:
        engine.dispose()


# -- the template ------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where store templates are kept: TAKELAB_CACHE_DIR, else the user's cache folder."""
    raw = settings().cache_dir
    if raw:
        return raw.expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "takelab"


def template() -> Path | None:
    """An empty store at the head revision, built once per schema; None when the cache
    folder cannot be written (the store is then migrated beside itself)."""
    path = cache_dir() / f"mlflow-store-{head_revision()}.db"
    if path.exists() and schema_problem(_sqlite_uri(path)) is None:
        return path
    try:
        with _locked(path.with_name(path.name + ".lock")):
            if path.exists() and schema_problem(_sqlite_uri(path)) is None:
                return path
            _remove_stale(path)
            tmp = _tmp_beside(path)
            _migrate(tmp)
            _publish(tmp, path)
    except OSError as exc:
        log.debug("no MLflow store template in %s: %s", path.parent, exc)
        return None
    return path


# -- the local store ---------------------------------------------------------------------


def _lock_of(home: Home) -> Path:
    return home.root / ".mlflow.db.lock"


def ensure_store(home: Home) -> None:
    """Make sure `home`'s SQLite store exists whole at the head revision before MLflow
    opens it: create it from the template, or upgrade it in a copy, atomically.

    Raises TrackingStoreError for a store that exists but cannot be used."""
    path = home.mlflow_db
    if path.exists() and schema_problem(_sqlite_uri(path)) is None:
        return
    home.root.mkdir(parents=True, exist_ok=True)
    with _locked(_lock_of(home)):
        _remove_stale(path)
        problem = schema_problem(_sqlite_uri(path)) if path.exists() else None
        if not path.exists() or (problem is not None and problem.kind == "empty"):
            _create(path)  # an empty file holds nothing: replaced whole
        elif problem is None:
            return
        elif problem.kind == "behind":
            _upgrade(path, problem)
        else:  # leftovers of a migration, no revision, unreadable: only doctor can help
            raise TrackingStoreError(path, problem)


def _create(path: Path) -> None:
    tmp = _tmp_beside(path)
    try:
        source = template()
        if source is not None:
            shutil.copyfile(source, tmp)
        else:
            _migrate(tmp)
        _publish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _upgrade(path: Path, problem: str) -> None:
    """An older store (MLflow was upgraded) is migrated in a copy, then renamed in."""
    utils = _db_utils()
    tmp = _tmp_beside(path)
    try:
        shutil.copyfile(path, tmp)
        engine = utils.create_sqlalchemy_engine(_sqlite_uri(tmp))
        try:
            utils._upgrade_db(engine)
        finally:
            engine.dispose()
        _publish(tmp, path)
        forget_open_store(path)
    except TakelabError:
        raise TrackingStoreError(path, problem) from None
    except Exception as exc:
        raise TrackingStoreError(
            path, f"{problem}; upgrading it fails: {_first_line(exc)}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def forget_open_store(path: Path) -> None:
    """Drop this process's cached MLflow store and engine for `path` after the file was
    replaced: their connections still point at the old file, which SQLite then refuses to
    write ("attempt to write a readonly database")."""
    if "mlflow.store.tracking.sqlalchemy_store" not in sys.modules:
        return  # nothing opened it in this process
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking._tracking_service.utils import _tracking_store_registry

    uri = _sqlite_uri(path)
    with SqlAlchemyStore._engine_map_lock:
        engine = SqlAlchemyStore._engine_map.pop(uri, None)
    if engine is not None:
        engine.dispose()
    _tracking_store_registry._get_store_with_resolved_uri.cache_clear()


def diagnose(home: Home, exc: BaseException) -> TrackingStoreError | None:
    """The store problem behind an error MLflow raised on opening `home`'s store, or None
    when the store itself is whole (the error is something else)."""
    path = home.mlflow_db
    if not path.exists():
        return None
    try:
        problem = schema_problem(_sqlite_uri(path))
    except Exception as inner:  # the check itself cannot read the file
        problem = StoreProblem("broken", f"it cannot be read ({_first_line(inner)})")
    if problem is None:
        return None
    return TrackingStoreError(path, f"{problem} (MLflow says: {_first_line(exc)})")


def move_aside(home: Home) -> Path:
    """Rename a damaged store (and its journal files) to `mlflow.db.broken-<UTC stamp>`;
    nothing is deleted. Returns the new name."""
    path = home.mlflow_db
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    while aside.exists():
        time.sleep(1.0)
        aside = path.with_name(f"{path.name}.broken-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    for suffix in ("", *SIDE_FILES):
        src = Path(f"{path}{suffix}")
        if src.exists():
            os.replace(src, f"{aside}{suffix}")
    return aside


def rebuild_store(home: Home) -> Path:
    """Move a damaged store aside and make a new, empty one in its place (under the lock).
    Returns where the old file went."""
    with _locked(_lock_of(home)):
        aside = move_aside(home)
        _remove_stale(home.mlflow_db)
        _create(home.mlflow_db)
    forget_open_store(home.mlflow_db)
    return aside
