"""The KBO lookup store: the ``kbo.enterprises`` and ``kbo.snapshots`` topics materialised in an embedded SQLite file
(docs/kbo.md, "Why SQLite"), one per process that checks registrations, restored from the topics and kept current.

Switching snapshots is atomic: a load is one Kafka transaction, read here ``read_committed``, and what the follower
applies stays in one SQLite transaction until it has reached the end of every partition; readers (WAL mode) see the
previous snapshot until that commit. The store keeps the topics' offsets in the same transaction, so a restart resumes
where the file left off.
"""

import fcntl
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from services.common import codec
from services.common.events import KboEnterprise, KboSnapshot

SNAPSHOT_KEY = b"snapshot"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS enterprises (number TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS establishments (number TEXT PRIMARY KEY, enterprise TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS establishments_of ON establishments (enterprise);
CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 0), record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (topic TEXT, partition INTEGER, next INTEGER NOT NULL,
                                    PRIMARY KEY (topic, partition)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Change:
    """One record of the KBO topics, as the follower hands it over."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class KboStore:
    """Lookups from any one thread (the service's event loop); writes from the follower's thread."""

    def __init__(self, path: Path, enterprises_topic: str, snapshots_topic: str) -> None:
        self.path = path
        self.enterprises_topic, self.snapshots_topic = enterprises_topic, snapshots_topic
        self._writer = _connect(path)
        self._writer.executescript(_SCHEMA)
        self._reader = _connect(path)
        self._lock = threading.Lock()  # the follower's thread changes, the loop's thread may close
        self._open = False
        self._last_snapshot: tuple[bytes, KboSnapshot] | None = None

    # -- reading -----------------------------------------------------------------------------------------------
    def lookup(self, number: str) -> tuple[KboEnterprise | None, KboSnapshot | None]:
        """The enterprise (None: not in the snapshot) and the snapshot in force, read by one statement (so from one
        state of the file)."""
        record, snap = self._reader.execute(
            "SELECT (SELECT record FROM enterprises WHERE number = ?), (SELECT record FROM snapshot WHERE id = 0)",
            (number,)).fetchone()
        return (codec.decode(KboEnterprise, record) if record is not None else None,
                self._snapshot_of(snap) if snap is not None else None)

    def _snapshot_of(self, raw: bytes) -> KboSnapshot:
        """Decoded once per snapshot (it changes once a day), not once per lookup."""
        if self._last_snapshot is None or self._last_snapshot[0] != raw:
            self._last_snapshot = (raw, codec.decode(KboSnapshot, raw))
        return self._last_snapshot[1]

    def raw(self, number: str) -> bytes | None:
        """The stored record as it came from the topic, undecoded."""
        row = self._reader.execute("SELECT record FROM enterprises WHERE number = ?", (number,)).fetchone()
        return bytes(row[0]) if row else None

    def snapshot(self) -> KboSnapshot | None:
        row = self._reader.execute("SELECT record FROM snapshot WHERE id = 0").fetchone()
        return self._snapshot_of(row[0]) if row else None

    def enterprise_of(self, establishment: str) -> str | None:
        row = self._reader.execute("SELECT enterprise FROM establishments WHERE number = ?",
                                   (establishment,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        return int(self._reader.execute("SELECT count(*) FROM enterprises").fetchone()[0])

    def offsets(self) -> dict[tuple[str, int], int]:
        return {(topic, partition): int(next_) for topic, partition, next_ in
                self._writer.execute("SELECT topic, partition, next FROM offsets")}

    # -- writing (the follower's thread) -------------------------------------------------------------------------
    def apply(self, changes: Iterable[Change]) -> None:
        """Apply within the open write transaction (opened here when none is)."""
        with self._lock:
            if not self._open:
                self._writer.execute("BEGIN IMMEDIATE")
                self._open = True
            for change in changes:
                self._apply_one(change)

    def commit(self) -> bool:
        """Make what was applied visible at once; False when there was nothing to commit."""
        with self._lock:
            if not self._open:
                return False
            self._writer.execute("COMMIT")
            self._open = False
            return True

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._writer.execute("ROLLBACK")
                self._open = False
            self._writer.close()
            self._reader.close()

    def __enter__(self) -> "KboStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _apply_one(self, change: Change) -> None:
        db = self._writer
        if change.topic == self.snapshots_topic:
            if change.key == SNAPSHOT_KEY and change.value is not None:
                db.execute("INSERT OR REPLACE INTO snapshot (id, record) VALUES (0, ?)", (change.value,))
        elif change.key is not None:
            number = change.key.decode()
            db.execute("DELETE FROM establishments WHERE enterprise = ?", (number,))
            if change.value is None:
                db.execute("DELETE FROM enterprises WHERE number = ?", (number,))
            else:
                db.execute("INSERT OR REPLACE INTO enterprises (number, record) VALUES (?, ?)", (number, change.value))
                units = json.loads(change.value)["establishments"]  # a full decode cost 3x the rest of a restore
                db.executemany("INSERT OR REPLACE INTO establishments (number, enterprise) VALUES (?, ?)",
                               [(unit, number) for unit in units])
        db.execute("INSERT OR REPLACE INTO offsets (topic, partition, next) VALUES (?, ?, ?)",
                   (change.topic, change.partition, change.offset + 1))


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # the topics are the record: a lost last commit is read again
    db.execute("PRAGMA cache_size = -32768")  # 32 MiB per connection; the OS page cache holds the rest
    db.execute("PRAGMA journal_size_limit = 67108864")  # a load's WAL (GBs) is cut back to 64 MiB once checkpointed
    return db


def claim_file(directory: Path, stem: str = "kbo") -> tuple[Path, IO[str]]:
    """A store file no other running process uses (``kbo-0.sqlite``, ``kbo-1.sqlite``, ...: one per uvicorn worker),
    locked while the returned lock file stays open; reused after a restart, so a restart only reads what changed
    since."""
    directory.mkdir(parents=True, exist_ok=True)
    for slot in range(1024):
        lock = (directory / f"{stem}-{slot}.lock").open("a")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return directory / f"{stem}-{slot}.sqlite", lock
    raise RuntimeError(f"no free KBO store slot in {directory}")
