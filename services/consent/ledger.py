"""Pure checks and replays over the consent log, as auditors run them (``buurt-audit``).

Input: the raw records of ``consent.audit`` (partition, offset, value) in offset order per partition, and the raw
records of the signed checkpoints' topic. Output: findings naming partition and offset, the records each signed
checkpoint covers (for the proof index), the timeline of one business, the listed set at a time.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topic_reader import RawRecord
from services.common.vocabulary import ListingEffect, listing_effect
from services.consent import crypto, merkle
from services.consent.audit import GENESIS_HASH, chain_hash
from services.consent.checkpoints import Signed, frontier_of, open_signed
from services.consent.merkle import Frontier
from services.consent.note import NoteError, Verifier


@dataclass(frozen=True)
class Finding:
    partition: int
    offset: int | None
    problem: str
    topic: str = "audit"  # or "checkpoints": the offset is in consent.audit.checkpoints


@dataclass
class VerifyReport:
    records: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)
    unsigned: int = 0  # records of logs from before tree checkpoints, newer than their partition's last checkpoint
    signed: dict[int, Signed] = field(default_factory=dict)  # each partition's largest verified checkpoint
    covered: dict[int, Signed] = field(default_factory=dict)  # the checkpoint that covers each partition's records

    @property
    def ok(self) -> bool:
        return not self.findings


Confirmed = Callable[[RawRecord, int, bytes], None]  # a record covered by a signed checkpoint, its index, its leaf


Start = dict[int, tuple[Frontier, tuple[int, str]]]  # partition -> tree and chain head already verified


def verify(records: Iterable[RawRecord], signed: Iterable[RawRecord], trusted: list[Verifier],
           confirmed: Confirmed | None = None, start: Start | None = None,
           horizon: dict[int, int] | None = None) -> VerifyReport:
    """Every partition's records against its hash chain and its signed checkpoints: altered, inserted, dropped,
    reordered and moved records, a removed prefix, records no signed checkpoint covers (another producer's), and
    checkpoints that are forged, signed by an unknown key or that match no record sequence. ``confirmed`` receives
    each record a signed checkpoint covers, with its index in the partition's tree (the proof index builds on it);
    ``start`` goes on from trees verified before (the records given are then those after them). Records at or past
    ``horizon[partition]`` were read after the checkpoints: they may match one, but none is missing theirs.

    Read the checkpoints after the records: a record is committed with its checkpoint, so every record read then has
    its checkpoint in the topic."""
    report = VerifyReport()
    known = _Checkpoints(report, trusted)
    for raw in signed:
        known.add(raw)
    logs: dict[int, _Partition] = {}

    def log_of(partition: int) -> _Partition:
        if partition not in logs:
            logs[partition] = _Partition(partition, known, report.findings, confirmed, (start or {}).get(partition),
                                         (horizon or {}).get(partition))
        return logs[partition]

    for raw in records:
        report.records += 1
        log_of(raw.partition).add(raw)
    for partition in known.partitions():
        log_of(partition)
    for partition, log in logs.items():
        report.unsigned += log.finish()
        if log.covered is not None:
            report.covered[partition] = log.covered
    report.signed = known.largest
    return report


class _Checkpoints:
    """The checkpoints' topic, opened: tree checkpoints by partition and size, older chain checkpoints by partition
    and sequence; whatever does not open is a finding at its offset."""

    def __init__(self, report: VerifyReport, trusted: list[Verifier]) -> None:
        self.report, self.trusted = report, trusted
        self.trees: dict[int, dict[int, list[tuple[int, Signed]]]] = {}  # partition -> size -> (offset, )
        self.chains: dict[tuple[int, int], list[events.AuditCheckpoint]] = {}
        self.largest: dict[int, Signed] = {}
        self._raw_keys = {crypto.b64(v.key.public_bytes_raw()) for v in trusted}

    def partitions(self) -> set[int]:
        return set(self.trees) | {partition for partition, _ in self.chains}

    def add(self, raw: RawRecord) -> None:
        self.report.checkpoints += 1
        try:
            tree = codec.decode(events.LogCheckpoint, raw.value)
        except DecodeError as exc:
            self._add_chain(raw, exc.reason)
            return
        try:
            signed = open_signed(tree, self.trusted)
            frontier_of(tree, signed)
        except NoteError as exc:
            self._finding(raw, f"checkpoint of {tree.size} records of partition {tree.partition}: {exc}")
            return
        self.trees.setdefault(signed.partition, {}).setdefault(signed.size, []).append((raw.offset, signed))
        if signed.size >= self.largest.get(signed.partition, signed).size:
            self.largest[signed.partition] = signed

    def _add_chain(self, raw: RawRecord, reason: str) -> None:
        try:
            chain = codec.decode(events.AuditCheckpoint, raw.value)
        except DecodeError:
            self._finding(raw, f"not a signed checkpoint ({reason})")
            return
        message = events.checkpoint_message(chain.partition, chain.sequence, chain.hash)
        if chain.public_key not in self._raw_keys:
            self._finding(raw, f"checkpoint at sequence {chain.sequence} signed by an unknown key")
        elif not crypto.verify_signature(chain.public_key, chain.signature, message):
            self._finding(raw, f"checkpoint at sequence {chain.sequence}: bad signature")
        else:
            self.chains.setdefault((chain.partition, chain.sequence), []).append(chain)

    def _finding(self, raw: RawRecord, problem: str) -> None:
        self.report.findings.append(Finding(raw.partition, raw.offset, problem, "checkpoints"))


@dataclass(slots=True)
class _Entry:
    raw: RawRecord
    sequence: int
    hash: str
    leaf: bytes


@dataclass
class _Branch:
    """A run of records that continue one another, from the last point a signed checkpoint confirmed."""

    base: Frontier
    base_head: tuple[int, str]
    pending: list[_Entry] = field(default_factory=list)
    head: tuple[int, str] = (-1, "")  # of the last record: set from the others

    def __post_init__(self) -> None:
        self.head = (self.pending[-1].sequence, self.pending[-1].hash) if self.pending else self.base_head

    def add(self, entry: _Entry) -> None:
        self.pending.append(entry)
        self.head = (entry.sequence, entry.hash)

    def tree(self) -> Frontier:
        tree = self.base.copy()
        for entry in self.pending:
            tree.append(entry.leaf)
        return tree


class _Partition:
    """One partition's log as it is read. Records that continue one another form a branch; a record that continues
    an earlier record of a branch (two records claim one place) starts another, and the signed checkpoints decide
    which branch is the log: the one whose tree has the signed root at the signed size. The worker signs every record
    in the transaction that writes it, so a record no checkpoint covers was written by someone else."""

    def __init__(self, partition: int, known: _Checkpoints, findings: list[Finding], confirmed: Confirmed | None,
                 start: tuple[Frontier, tuple[int, str]] | None, horizon: int | None) -> None:
        self.partition, self.known, self.findings, self.confirmed = partition, known, findings, confirmed
        self.horizon = horizon
        self.sizes = known.trees.get(partition, {})
        self.last_signed = max(self.sizes, default=0)
        self.matched: set[int] = set()  # sizes whose checkpoint a branch matched
        self.started = start[0].size if start else 0  # checkpoints up to this size were matched before
        self.covered: Signed | None = None
        self.branches = [_Branch(*start) if start else _Branch(Frontier(), (-1, GENESIS_HASH))]
        self.tree = self.branches[0].tree()  # the tree of the branch records were last added to
        self.current = self.branches[0]
        self.damaged: str | None = None  # a record was altered or lost: roots can no longer match

    def add(self, raw: RawRecord) -> None:
        # Where signed trees cover the log, a record's own hash is checked only when a tree does not match (to find
        # which record changed) or when no tree will cover it: the tree over the stored bytes vouches for the rest.
        sealed = self.damaged is not None or not self.sizes
        for branch in (self.current, *self.branches) if len(self.branches) > 1 else (self.current,):
            link = _linked(raw, branch.head, sealed)
            if link is not None:
                self._extend(branch, _Entry(raw, link[1], link[2], merkle.leaf_hash(raw.value or b"")))
                return
        problem, record = _check(raw, self.current.head)
        if record is None or record.partition != raw.partition:
            self._found(raw.offset, problem or "not an audit record")
            return
        entry = _Entry(raw, record.sequence, record.hash, merkle.leaf_hash(raw.value or b""))
        if problem is None:  # continues the log, in another JSON layout than the worker's
            self._extend(self.current, entry)
            return
        if problem.startswith("altered"):
            self._found(raw.offset, problem)
            self.damaged = self.damaged or f"the record at offset {raw.offset} was altered"
            if (record.sequence, record.prev_hash) == (self.current.head[0] + 1, self.current.head[1]):
                self._extend(self.current, entry)
            return
        if record.sequence > self.current.head[0] + 1:  # records before it are gone: go on from it
            self._found(raw.offset, problem)
            self.damaged = self.damaged or f"records before offset {raw.offset} are missing"
            self._restart(entry)
            return
        if self._fork(record, entry):
            return
        head = self.current.head
        if record.sequence == head[0] + 1:  # the chain breaks here: this record or the one before is not the log's
            before = self.current.pending[-1].raw.offset if self.current.pending else None
            self._found(raw.offset, f"the chain breaks: sequence {record.sequence} follows hash "
                                    f"{record.prev_hash[:12]}…, the record before it"
                                    f"{'' if before is None else f' (offset {before})'} has {head[1][:12]}…: one of "
                                    "them was altered and resealed, replaced or inserted")
            self.damaged = self.damaged or f"the chain breaks at offset {raw.offset}"
            self._restart(entry)
            return
        self._found(raw.offset, f"inserted or reordered: sequence {record.sequence} after {record.prev_hash[:12]}… "
                                f"does not continue the log (at sequence {head[0]}, hash {head[1][:12]}…)")

    def _extend(self, branch: _Branch, entry: _Entry) -> None:
        if branch is not self.current:
            self.current, self.tree = branch, branch.tree()
        branch.add(entry)
        self.tree.append(entry.leaf)
        if self.known.chains:
            for chain in self.known.chains.get((self.partition, entry.sequence), ()):
                if chain.hash != entry.hash:
                    self._found(None, f"checkpoint at sequence {chain.sequence} does not match the record's hash")
        if self.damaged or not self.sizes:
            self._confirm(branch, signed=False)
        elif self.tree.size in self.sizes:
            self._confirm_if_signed(branch)

    def _confirm_if_signed(self, branch: _Branch) -> None:
        if self.tree.size not in self.sizes:
            return
        root = self.tree.root()
        for _, signed in self.sizes.get(self.tree.size, ()):
            if signed.root == root:
                self.matched.add(self.tree.size)
                self.covered = signed
                self._confirm(branch, signed=True)
                return
        if len(self.branches) == 1:
            self._locate(branch)

    def _locate(self, branch: _Branch) -> None:
        """The tree does not match its signed root: the first record whose content does not match its own hash."""
        for entry in branch.pending:
            if not _sealed(entry.raw):
                self._found(entry.raw.offset, "altered: the record's content does not match its hash")
                self.damaged = f"the record at offset {entry.raw.offset} was altered"
                self._confirm(branch, signed=False)
                return

    def _confirm(self, branch: _Branch, signed: bool) -> None:
        """The branch is the log up to its head: its records are confirmed, the other branches' are not the log."""
        for other in self.branches:
            if other is not branch:
                self._foreign(other.pending[len(_shared(other, branch)):])
        if signed and self.confirmed is not None:
            for entry in branch.pending:
                self.confirmed(entry.raw, entry.sequence, entry.leaf)
        confirmed = _Branch(self.tree.copy(), branch.head)
        self.branches, self.current = [confirmed], confirmed

    def _fork(self, record: events.AuditRecord, entry: _Entry) -> bool:
        """A record that continues a record some branch already continued with another: a new branch."""
        for branch in self.branches:
            heads = [branch.base_head] + [(e.sequence, e.hash) for e in branch.pending]
            for depth, head in enumerate(heads[:-1]):
                if head == (record.sequence - 1, record.prev_hash):
                    fork = _Branch(branch.base.copy(), branch.base_head, [*branch.pending[:depth], entry])
                    self.branches.append(fork)
                    self.current, self.tree = fork, fork.tree()
                    self._after_fork(fork)
                    return True
        return False

    def _after_fork(self, fork: _Branch) -> None:
        if not self.damaged and self.sizes:
            self._confirm_if_signed(fork)

    def _restart(self, entry: _Entry) -> None:
        """Go on after a gap: no tree can be checked any more in this partition (its leaves are missing)."""
        branch = _Branch(Frontier(), (entry.sequence, entry.hash))
        self.branches, self.current, self.tree = [branch], branch, Frontier()

    def _foreign(self, entries: list[_Entry]) -> None:
        for entry in entries:
            self._found(entry.raw.offset, f"not covered by any signed checkpoint: sequence {entry.sequence} is held "
                                          "by another record of the log; written by another producer")

    def finish(self) -> int:
        """Findings for what no checkpoint covered and for checkpoints no record sequence matched; the number of
        records of a log without tree checkpoints that are newer than its last chain checkpoint."""
        if not self.sizes:
            last = max((seq for partition, seq in self.known.chains if partition == self.partition), default=-1)
            return max(0, self.current.head[0] - last)
        if not self.damaged:
            reached = self.current.head[0] + 1
            missed = [size for size in sorted(self.sizes)
                      if self.started < size <= reached and size not in self.matched]
            for branch in self.branches:
                for entry in branch.pending:
                    if self.horizon is not None and entry.raw.offset >= self.horizon:
                        continue  # written after the checkpoints were read
                    self._found(entry.raw.offset, self._uncovered(missed) if _sealed(entry.raw) else
                                "altered: the record's content does not match its hash")
            for size, found in sorted(self.sizes.items()):
                if size not in self.matched and size > self.started:
                    what = (f"the partition has only {reached}: records were removed" if size > reached
                            else "a record it covers was altered or replaced")
                    self.findings.append(Finding(self.partition, found[0][0], f"checkpoint of {size} records "
                                                 f"matches no sequence of records: {what}", "checkpoints"))
        return 0

    def _uncovered(self, missed: list[int]) -> str:
        if missed:
            return (f"not covered by a signed checkpoint: the checkpoint of {missed[0]} records signs other bytes "
                    "(this record or one before it was rewritten or replaced)")
        return (f"not covered by any signed checkpoint (the last signs {self.last_signed} records): the worker signs "
                "every record in the transaction that writes it, so another producer wrote this")

    def _found(self, offset: int | None, problem: str) -> None:
        self.findings.append(Finding(self.partition, offset, problem))


def _shared(branch: _Branch, other: _Branch) -> list[_Entry]:
    """The entries two branches share from their common base."""
    shared = []
    for mine, theirs in zip(branch.pending, other.pending, strict=False):
        if mine is not theirs:
            break
        shared.append(mine)
    return shared


# The head of a record as the consent worker writes it (pydantic's JSON, fields in declaration order).
_CANONICAL_HEAD = re.compile(rb'\{"schema_version":\d+,"record_id":"[0-9a-f-]{36}","partition":(\d+),"sequence":(\d+),'
                             rb'"prev_hash":"([0-9a-f]{64})",("hash":"([0-9a-f]{64})",)')


def _linked(raw: RawRecord, head: tuple[int, str], sealed: bool = True) -> tuple[int, int, str] | None:
    """(partition, sequence, hash) of a record in the worker's layout that follows ``head`` (and, if ``sealed``,
    whose stored bytes hash to its ``hash``); None for anything else, which ``_check`` then decodes in full to say
    what is wrong. Hashing the stored bytes without the ``hash`` field is hashing the canonical JSON, so this agrees
    with ``chain_hash`` on every record the worker wrote, at a fifth of the cost (no decode, no re-encode)."""
    value = raw.value
    found = _CANONICAL_HEAD.match(value) if value is not None else None
    if found is None or value is None:
        return None
    partition, sequence, digest = int(found[1]), int(found[2]), found[5].decode()
    if partition != raw.partition or sequence != head[0] + 1 or found[3].decode() != head[1]:
        return None
    return (partition, sequence, digest) if not sealed or _sealed(raw, found) else None


def _sealed(raw: RawRecord, found: re.Match[bytes] | None = None) -> bool:
    """Whether the record's content matches its own hash."""
    value = raw.value or b""
    found = found or _CANONICAL_HEAD.match(value)
    if found is None:
        _, record = _check(raw, (-1, GENESIS_HASH))
        return record is not None and chain_hash(record) == record.hash
    hashed = hashlib.sha256(memoryview(value)[:found.start(4)])
    hashed.update(memoryview(value)[found.end(4):])
    return hashed.hexdigest() == found[5].decode()


def _check(raw: RawRecord, head: tuple[int, str]) -> tuple[str | None, events.AuditRecord | None]:
    try:
        record = codec.decode(events.AuditRecord, raw.value)
    except DecodeError as exc:
        return f"not an audit record ({exc.reason})", None
    expected_sequence, expected_prev = head[0] + 1, head[1]
    if chain_hash(record) != record.hash:
        return "altered: the record's content does not match its hash", record
    if record.partition != raw.partition:
        return f"moved: record of partition {record.partition} found in partition {raw.partition}", record
    if expected_sequence == 0 and record.sequence > 0:
        missing = "record 0 is" if record.sequence == 1 else f"records 0 to {record.sequence - 1} are"
        return (f"a prefix is gone: the partition starts at sequence {record.sequence}, {missing} missing (removed "
                "with DeleteRecords, or by a retention the audit log must never have)"), record
    if record.sequence > expected_sequence:
        return (f"dropped: records {expected_sequence} to {record.sequence - 1} are missing before this one "
                f"(expected sequence {expected_sequence} after hash {expected_prev[:12]}…)"), record
    if record.prev_hash != expected_prev or record.sequence != expected_sequence:
        return (f"dropped, inserted or reordered: expected sequence {expected_sequence} after hash "
                f"{expected_prev[:12]}…, found sequence {record.sequence} after {record.prev_hash[:12]}…"), record
    return None, record


def decoded(records: Iterable[RawRecord]) -> Iterator[events.AuditRecord]:
    for raw in records:
        try:
            yield codec.decode(events.AuditRecord, raw.value)
        except DecodeError:
            continue


def history(records: Iterable[RawRecord], enterprise_number: str) -> list[events.AuditRecord]:
    timeline = [r for r in decoded(records) if r.enterprise_number == enterprise_number]
    return sorted(timeline, key=lambda r: r.recorded_at)


def state_at(records: Iterable[RawRecord], at: datetime) -> dict[str, events.AuditRecord]:
    """Businesses listed at ``at``, each with the audit record of the consent it was listed on."""
    listed: dict[str, events.AuditRecord] = {}
    for record in sorted(decoded(records), key=lambda r: r.recorded_at):
        if record.recorded_at > at:
            break
        match listing_effect(record.decision):
            case ListingEffect.LISTS:
                listed[record.enterprise_number] = record
            case ListingEffect.UNLISTS:
                listed.pop(record.enterprise_number, None)
            case ListingEffect.NONE:
                pass
            case _:
                assert_never(listing_effect(record.decision))
    return listed
