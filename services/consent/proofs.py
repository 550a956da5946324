"""The proof index: a SQLite file that holds, per partition of consent.audit, every node of its Merkle tree, where each
record covered by a signed checkpoint lies, and the checkpoint that covers them — so that a receipt's inclusion proof
or a consistency proof costs a few lookups instead of a replay of the partition.

It is built from the log by the same verification auditors run (``ledger.verify``): only records a signed
checkpoint covers enter it, and each update reads only what was added since the last one. It is a cache: deleting
the file costs one full read, and whatever it yields is checked again by whoever verifies the proof.
"""

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.topic_reader import RawRecord
from services.consent.audit import GENESIS_HASH
from services.consent.ledger import Start, VerifyReport, verify
from services.consent.merkle import Tree
from services.consent.note import Verifier

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (partition INTEGER, level INTEGER, idx INTEGER, hash BLOB,
                                  PRIMARY KEY (partition, level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (partition INTEGER, idx INTEGER, offset INTEGER, enterprise TEXT, recorded_at TEXT,
                                    PRIMARY KEY (partition, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_of ON records (enterprise, partition, idx);
CREATE TABLE IF NOT EXISTS logs (partition INTEGER PRIMARY KEY, size INTEGER, head_hash TEXT, next_offset INTEGER,
                                 note TEXT);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
"""
_FIELDS = re.compile(rb'"recorded_at":"([^"]+)".*?"enterprise_number":"(\d{10})"')


@dataclass(frozen=True)
class Located:
    """One audit record of a business in the index."""

    partition: int
    index: int
    offset: int
    recorded_at: str


@dataclass(frozen=True)
class Log:
    partition: int
    size: int
    head_hash: str
    next_offset: int
    note: str


@dataclass(frozen=True)
class Planned:
    """What a receipt needs from the index: the signed checkpoint, and each record's place and inclusion proof."""

    log: Log
    places: tuple[tuple[Located, tuple[bytes, ...]], ...]


class _Nodes:
    """``merkle.Nodes`` of one partition in the index; the right edge, which every append reads, in memory."""

    def __init__(self, db: sqlite3.Connection, partition: int, size: int) -> None:
        self.db, self.partition, self.size = db, partition, size
        self._edge: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        cached = self._edge.get((level, index))
        if cached is not None:
            return cached
        row = self.db.execute("SELECT hash FROM nodes WHERE partition = ? AND level = ? AND idx = ?",
                              (self.partition, level, index)).fetchone()
        if row is None:
            raise LookupError(f"partition {self.partition}: no tree node {level}/{index} in the proof index")
        return bytes(row[0])

    def add(self, level: int, index: int, digest: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?)", (self.partition, level, index, digest))
        self._edge.pop((level, index - 1), None)
        self._edge[(level, index)] = digest
        if level == 0:
            self.size += 1

    def count(self) -> int:
        return self.size


class ProofIndex:
    """``installation`` names the log the index is of (its Kafka and topic prefix): an index of another one is
    emptied rather than trusted."""

    def __init__(self, path: Path, installation: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self._trees: dict[int, Tree] = {}
        if installation is not None:
            row = self.db.execute("SELECT value FROM meta WHERE name = 'installation'").fetchone()
            if row is None or row[0] != installation:
                self.reset(installation)

    def reset(self, installation: str | None = None) -> None:
        """Empty the index (its log was replaced): the next update reads the log from its start."""
        with self.db:
            for table in ("nodes", "records", "logs"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            if installation is not None:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('installation', ?)", (installation,))
        self._trees = {}

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "ProofIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def logs(self) -> dict[int, Log]:
        return {row[0]: Log(*row) for row in self.db.execute("SELECT * FROM logs")}

    def tree(self, partition: int) -> Tree:
        if partition not in self._trees:
            log = self.logs().get(partition)
            self._trees[partition] = Tree(nodes=_Nodes(self.db, partition, log.size if log else 0))
        return self._trees[partition]

    def located(self, enterprise: str) -> list[Located]:
        rows = self.db.execute("SELECT partition, idx, offset, recorded_at FROM records WHERE enterprise = ? "
                               "ORDER BY partition, idx", (enterprise,))
        return [Located(*row) for row in rows]

    def plan(self, enterprise: str) -> Planned | None:
        """The business's records the index holds, each with its proof to its partition's latest checkpoint."""
        located = self.located(enterprise)
        if not located:
            return None
        partition = located[0].partition
        log, tree = self.logs()[partition], self.tree(partition)
        return Planned(log, tuple((place, tuple(tree.inclusion(place.index, log.size))) for place in located))

    def start(self) -> Start:
        """Where verification goes on from: each partition's tree and chain head."""
        return {p: (self.tree(p).frontier(), (log.size - 1, log.head_hash or GENESIS_HASH))
                for p, log in self.logs().items()}

    @contextmanager
    def update(self, records: list[RawRecord], checkpoints: list[RawRecord], trusted: list[Verifier],
               horizon: dict[int, int] | None = None) -> Iterator[VerifyReport]:
        """Verify what was added since the last update and index what a signed checkpoint covers (one transaction)."""
        added: dict[int, int] = {}  # partition -> offset of the last record indexed

        def confirmed(raw: RawRecord, index: int, leaf: bytes) -> None:
            tree = self.tree(raw.partition)
            if index != tree.size:
                raise LookupError(f"partition {raw.partition}: record {index} arrives at tree size {tree.size}")
            tree.append(leaf)
            fields = _FIELDS.search(raw.value or b"")
            recorded_at, enterprise = (fields[1].decode(), fields[2].decode()) if fields else ("", "")
            self.db.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?)",
                            (raw.partition, index, raw.offset, enterprise, recorded_at))
            added[raw.partition] = raw.offset

        with self.db:
            report = verify(records, checkpoints, trusted, confirmed, self.start(), horizon)
            for partition, last in added.items():
                signed = report.covered[partition]
                if signed.size != self.tree(partition).size:
                    raise LookupError(f"partition {partition}: the covering checkpoint signs {signed.size} records, "
                                      f"the index holds {self.tree(partition).size}")
                self.db.execute("INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?)",
                                (partition, signed.size, signed.head, last + 1, signed.note))
            yield report
