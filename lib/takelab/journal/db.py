"""Where the journal lives: a local SQLite file (the default) or a team's PostgreSQL.

Both give the journal the same two things: a connection whose `execute` takes SQLite's
`?` placeholders, and write transactions that exclude every other writer, so a claim
reads the budget and reserves its price with nobody in between. SQLite gets that from
BEGIN IMMEDIATE; PostgreSQL from a transaction-scoped advisory lock that every
takelab writer takes first, on whichever machine it runs.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from takelab.errors import BudgetError, JournalDamagedError, TakelabError
from takelab.journal.guard import GUARD_VERSION, MEMBER_GROUP, SQLITE_TRIGGERS, guard_statements
from takelab.journal.schema import MIGRATIONS

JOURNAL_URL_ENV = "TAKELAB_JOURNAL_URL"


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    def execute(self, sql: str, parameters: Any = (), /) -> Cursor: ...


class JournalDb(Protocol):
    """A journal store: `connect(write=True)` is one exclusive transaction."""

    where: str  # for messages: a path, or a URL without its password
    member: str | None  # the team member this store writes as (a PostgreSQL login)
    restricted: bool  # a team member's login: the database's guard applies to it

    def connect(self, *, write: bool = False) -> AbstractContextManager[Conn]: ...

    def migrate(self) -> None: ...


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def open_db(location: str | Path) -> JournalDb:
    """The store at `location`: a PostgreSQL URL or a SQLite file path."""
    if is_url(location):
        return PostgresDb(str(location))
    if isinstance(location, str) and "://" in location:
        raise TakelabError(
            f"{JOURNAL_URL_ENV} is not a PostgreSQL URL: {redact(location)}",
            hint="use postgresql://USER:PASSWORD@HOST:PORT/DB, or unset it for the local journal",
        )
    return SqliteDb(Path(location))


def redact(url: str) -> str:
    """A URL with its password replaced, safe for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


# -- SQLite ----------------------------------------------------------------------------

_WRITER_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(path.resolve(), threading.Lock())


class SqliteDb:
    """A SQLite file in WAL mode; one connection per operation (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.member: str | None = None
        self.restricted = False
        path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        with damage_as_error(self.where), self._connect(write=write) as conn:
            yield conn

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA foreign_keys = ON")
            if write:
                # Threads of one process queue here instead of in SQLite's busy handler,
                # which sleeps and retries; other processes still wait on the file lock.
                with _writer_lock(self.path):
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield conn
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
            else:
                yield conn
        finally:
            conn.close()

    def migrate(self) -> None:
        with damage_as_error(self.where):
            self._migrate()

    def _migrate(self) -> None:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            _check_version(version, self.where)  # closing the connection rolls back
            for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            for trigger in SQLITE_TRIGGERS:
                conn.execute(trigger)
            conn.execute("COMMIT")
        finally:
            conn.close()


@contextmanager
def damage_as_error(where: str) -> Iterator[None]:
    """A damaged SQLite file as one JournalDamagedError (no traceback for the user); busy,
    locked or full databases (OperationalError) pass through as they are."""
    try:
        yield
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise JournalDamagedError(where, str(exc) or type(exc).__name__) from None


def _check_version(version: int, where: str) -> None:
    if version > len(MIGRATIONS):
        raise TakelabError(
            f"{where} was written by a newer takelab (schema {version})",
            hint="upgrade takelab",
        )


# -- PostgreSQL ------------------------------------------------------------------------

# Every takelab writer holds this transaction-scoped advisory lock: one writer at a time
# across all clients of the team's database, as with SQLite's single writer.
_WRITE_LOCK_KEY = 0x74616B65  # "take"


def pg_sql(sql: str) -> str:
    """The journal's SQLite dialect as PostgreSQL: placeholders, upserts, column types."""
    sql = sql.replace("%", "%%").replace("?", "%s")
    if sql.lstrip().upper().startswith("INSERT OR IGNORE"):
        sql = re.sub(r"(?i)INSERT OR IGNORE", "INSERT", sql, count=1) + " ON CONFLICT DO NOTHING"
    return sql


def pg_schema(sql: str) -> str:
    """A SQLite migration as PostgreSQL DDL (REAL is 4 bytes there: times need 8)."""
    sql = sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    return re.sub(r"\bseed INTEGER\b", "seed BIGINT", sql)


class _Row:
    """A row as sqlite3.Row gives it: by name or position, iterating its values."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: list[str], values: Sequence[Any]) -> None:
        self._names = names
        self._values = tuple(values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._values[key]
        return self._values[self._names.index(key)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _row_factory(cursor: Any) -> Any:
    names = [d.name for d in cursor.description or ()]

    def make(values: Sequence[Any]) -> _Row:
        return _Row(names, values)

    return make


class _PgConn:
    """A psycopg connection that speaks the journal's SQLite dialect."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.raw.execute(pg_sql(sql), tuple(parameters) or None)


class PostgresDb:
    """A team journal on PostgreSQL: one connection per thread, reused."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise TakelabError(
                f"{JOURNAL_URL_ENV} points at PostgreSQL, but psycopg is not installed",
                hint="pip install 'takelab[team]' (or unset TAKELAB_JOURNAL_URL)",
            ) from exc
        self._psycopg = psycopg
        self.url = url
        self.where = redact(url)
        self.member: str | None = None
        self.restricted = False
        self._local = threading.local()

    def _raw(self) -> Any:
        held = getattr(self._local, "conn", None)
        if held is not None and held[0] == os.getpid() and not held[1].closed:
            return held[1]
        try:
            conn = self._psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, row_factory=_row_factory
            )
        except self._psycopg.Error as exc:
            why = str(exc)
            if "password authentication failed" in why:
                hint = "the password in TAKELAB_JOURNAL_URL is wrong, or the admin removed"
                hint += " this member: ask the admin for new lines (`takelab team add-member`)"
            elif "no pg_hba.conf entry" in why:
                hint = "the team server does not admit this address or database"
                hint += " (TAKELAB_TEAM_NETWORK on the server; the journal is `takelab`)"
            else:
                hint = "is the team server up (`make team-up`)? check TAKELAB_JOURNAL_URL"
            raise TakelabError(
                f"cannot reach the team journal at {self.where}: {_first_line(exc)}",
                hint=hint,
            ) from None
        self._local.conn = (os.getpid(), conn)
        return conn

    def _drop(self) -> None:
        held = getattr(self._local, "conn", None)
        self._local.conn = None
        if held is not None and held[0] == os.getpid():
            with suppress(Exception):
                held[1].close()

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[_PgConn]:
        raw = self._raw()
        conn = _PgConn(raw)
        try:
            if write:
                raw.execute("BEGIN")
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK_KEY,))
                try:
                    yield conn
                except BaseException:
                    raw.execute("ROLLBACK")
                    raise
                raw.execute("COMMIT")
            else:
                yield conn
        except self._psycopg.OperationalError as exc:
            self._drop()
            raise TakelabError(
                f"lost the team journal at {self.where}: {_first_line(exc)}",
                hint="nothing half-written was kept; rerun the command when the server is back",
            ) from None
        except (
            self._psycopg.errors.RaiseException,
            self._psycopg.errors.InsufficientPrivilege,
        ) as exc:
            # The database's guard (journal_guard) refused: one line, not a traceback.
            if raw.closed or raw.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
                self._drop()
            refusal = _first_line(exc).removeprefix("takelab: ")
            kind = BudgetError if "budget" in refusal else TakelabError
            raise kind(
                f"the team journal refused: {refusal}",
                hint="a member writes only their own takes and verdicts; budgets and charges"
                " are the admin's (`takelab team budget`)",
            ) from None
        except BaseException:
            if raw.closed or raw.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
                self._drop()
            raise

    def migrate(self) -> None:
        """Bring the schema up to date, as its owner; a member's login only checks it."""
        with self.connect(write=True) as conn:
            row = conn.execute(
                "SELECT session_user, to_regclass('takelab_schema') IS NOT NULL,"
                " EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                " JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = ?"
                " AND u.rolname = session_user AND NOT u.rolsuper)",
                (MEMBER_GROUP,),
            ).fetchone()
            self.member, has_schema, self.restricted = str(row[0]), bool(row[1]), bool(row[2])
            version = 0
            if has_schema:
                got = conn.execute("SELECT version FROM takelab_schema").fetchone()
                version = int(got[0]) if got else 0
            _check_version(version, self.where)  # the transaction rolls back
            if self.restricted:
                if version < len(MIGRATIONS):
                    raise TakelabError(
                        f"the team journal at {self.where} has schema {version}; this"
                        f" takelab needs {len(MIGRATIONS)}",
                        hint="the admin runs `make team-up` with this takelab (it migrates)",
                    )
                return
            if not has_schema:
                conn.execute("CREATE TABLE takelab_schema (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO takelab_schema (version) VALUES (0)")
            for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, pg_schema(sql).split(";")):
                    conn.raw.execute(statement)
                conn.execute("UPDATE takelab_schema SET version = ?", (number,))
            # The guard, once per version (and once more when the member group appears).
            group = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = ?", (MEMBER_GROUP,)
            ).fetchone()
            mark = f"takelab guard {GUARD_VERSION}" + (" members" if group else "")
            have = conn.execute("SELECT obj_description('takes'::regclass, 'pg_class')").fetchone()[
                0
            ]
            if have != mark:
                for statement in guard_statements(group is not None):
                    conn.raw.execute(statement)
                conn.raw.execute(f"COMMENT ON TABLE takes IS '{mark}'")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
