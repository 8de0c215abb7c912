"""One SQLite connection to the review log, and the discipline of using it.

`LogConnection` is what `ReviewStore` stands on, and knows nothing of the log's tables:

- Opening checks the file before anything is written: one that is not a SQLite database,
  or fails `PRAGMA quick_check`, or was written by a newer quizapp (a higher
  `PRAGMA user_version`) raises `StoreError` and is left exactly as it was (never
  overwritten, deleted, converted to WAL or migrated); a usable one has its schema brought
  up to date (`engine.storage.schema`).
- One lock serialises every use of the connection, so a store is safe to share between
  threads; WAL with a busy timeout makes it safe between processes.
- Writes are autocommitted statements, or several in one `BEGIN IMMEDIATE` transaction
  that stands or falls together; a failed write raises `StoreError` (a broken constraint,
  `ValueError`).
- Reads skip a row they cannot decode and note it in `damaged_rows`, so that one bad value
  hides one row rather than the whole log.

It is apart from the store so that the store's module holds only what the log records
(sessions, drills, reviews, card states) and how each is written and queried.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from engine.storage.codecs import DAMAGE
from engine.storage.records import DamagedRow, StoreError
from engine.storage.schema import BUSY_TIMEOUT_S, MIGRATIONS, Migration, check_and_configure

T = TypeVar("T")


class LogConnection:
    """The connection to one review log file, its lock, and the damaged rows its reads skipped.

    Subclassed by `ReviewStore`; open with `ReviewStore.open(path)`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, local_tz: tzinfo | None = None) -> None:
        self._db = connection
        self._lock = threading.RLock()
        self.path = path
        self.local_tz = local_tz
        self._damaged: dict[tuple[str, str], DamagedRow] = {}

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        local_tz: tzinfo | None = None,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> Self:
        """Open (or create) the log at `path`, checking it and bringing its schema up to date.

        `local_tz` is the zone that decides where a study day starts (default: the
        system's). Raises StoreError when the file cannot be used; a file that is damaged
        or from a newer quizapp is left byte for byte as it was.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the folder for the review log {path}: {error.strerror or error}"
            ) from error
        try:
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the review log {path}: {error}") from error
        try:
            check_and_configure(connection, path, migrations)
        except BaseException:
            connection.close()
            raise
        return cls(connection, path, local_tz)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version")[0])

    @property
    def damaged_rows(self) -> tuple[DamagedRow, ...]:
        """The damaged rows the reads so far skipped (and found still damaged when last read).

        A row repaired or deleted by hand drops out the next time it (or its table) is read.
        """
        with self._lock:
            return tuple(self._damaged.values())

    # -- writing and reading -------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # Autocommit: each statement is its own transaction, durable when execute returns.
        with self._lock:
            try:
                yield self._db
            except sqlite3.DatabaseError as error:
                if isinstance(error, sqlite3.IntegrityError):
                    raise ValueError(str(error)) from error
                raise StoreError(f"could not write to the review log {self.path}: {error}") from error

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # Several statements that stand or fall together: BEGIN IMMEDIATE takes the write
        # lock first, so the state read inside is the state replaced.
        with self._write() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # a failed COMMIT (a full disk) leaves it open
                    db.execute("ROLLBACK")
                raise

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as error:
                raise StoreError(f"could not read the review log {self.path}: {error}") from error

    def _readable(
        self,
        table: str,
        rows: list[Any],
        name: Callable[[Any], str],
        read: Callable[[Any], T],
        *,
        whole_table: bool = True,
    ) -> list[T]:
        """`read` of each row, skipping (and noting in `damaged_rows`) those it cannot read.

        After reading a whole table, what is noted of it is exactly what was found: a row
        deleted or repaired by hand since an earlier read is no longer reported.
        """
        records = []
        with self._lock:
            if whole_table:
                self._damaged = {key: row for key, row in self._damaged.items() if key[0] != table}
            for row in rows:
                key = (table, name(row))
                try:
                    records.append(read(row))
                except DAMAGE as error:
                    self._damaged[key] = DamagedRow(table, key[1], str(error) or type(error).__name__)
                else:
                    if self._damaged:  # repaired since it was last read
                        self._damaged.pop(key, None)
        return records

    def _one_or_none(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._one_or_none(sql, params)
        assert row is not None
        return row
