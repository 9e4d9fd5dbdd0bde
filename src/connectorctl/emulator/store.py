"""SQLite state: connectors with their lifecycle bookkeeping, scripted outcomes, a few values.

One connection serves every worker thread; a lock serialises access and each write runs in a
`BEGIN IMMEDIATE` transaction, so concurrent writers never interleave a read-modify-write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connectors (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    key TEXT UNIQUE,
    doc TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scripts (key TEXT PRIMARY KEY, script TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    key TEXT UNIQUE,
    doc TEXT NOT NULL,
    state TEXT NOT NULL
);
"""


@dataclass
class Record:
    """One stored connector: the ConnectorStaged document and the emulator's own bookkeeping.

    `state` holds what the API does not show: `certified`, and the pending `preview` / `publish`
    requests with the emulator time they were made.
    """

    id: str
    doc: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None

    @property
    def key(self) -> str | None:
        key = self.doc.get("key")
        return key if isinstance(key, str) else None


class Transaction:
    """Reads and writes inside one `BEGIN IMMEDIATE` transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def find(self, *, id: str | None = None, key: str | None = None) -> Record | None:
        column, value = ("id", id) if id is not None else ("key", key)
        row = self._db.execute(
            f"SELECT seq, id, doc, state FROM connectors WHERE {column} = ?", (value,)
        ).fetchone()
        return _record(row) if row else None

    def all(self) -> list[Record]:
        rows = self._db.execute("SELECT seq, id, doc, state FROM connectors ORDER BY seq")
        return [_record(row) for row in rows]

    def insert(self, record: Record) -> None:
        cursor = self._db.execute(
            "INSERT INTO connectors (id, key, doc, state) VALUES (?, ?, ?, ?)",
            (record.id, record.key, json.dumps(record.doc), json.dumps(record.state)),
        )
        record.seq = cursor.lastrowid

    def save(self, record: Record) -> None:
        self._db.execute(
            "UPDATE connectors SET key = ?, doc = ?, state = ? WHERE id = ?",
            (record.key, json.dumps(record.doc), json.dumps(record.state), record.id),
        )

    def delete(self, record: Record) -> None:
        self._db.execute("DELETE FROM connectors WHERE id = ?", (record.id,))

    def script(self, key: str | None) -> dict[str, Any]:
        if key is None:
            return {}
        row = self._db.execute("SELECT script FROM scripts WHERE key = ?", (key,)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def set_script(self, key: str, script: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO scripts (key, script) VALUES (?, ?)", (key, json.dumps(script))
        )

    def value(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_value(self, name: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, json.dumps(value))
        )

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Run one statement in this transaction (for the tables other modules own)."""
        return self._db.execute(sql, parameters)

    def clear(self) -> None:
        for table in ("connectors", "scripts", "meta", "deployments"):
            self._db.execute(f"DELETE FROM {table}")
        self._db.execute("DELETE FROM sqlite_sequence")


def _record(row: tuple[int, str, str, str]) -> Record:
    seq, id_, doc, state = row
    return Record(id=id_, doc=json.loads(doc), state=json.loads(state), seq=seq)


class Store:
    """The emulator's SQLite database (a file, or `:memory:`)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute(
                "PRAGMA journal_mode = WAL" if path != ":memory:" else "PRAGMA foreign_keys = ON"
            )
            self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A write transaction; rolled back when the block raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
