"""One partition's audit log as ``ledger.verify`` reads it: records that continue one another form a branch, and the
signed trees decide which branch is the log."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from services.common import events
from services.common.topic_reader import RawRecord
from services.consent import merkle
from services.consent.audit import GENESIS_HASH
from services.consent.checkpoints import Signed as SignedCheckpoint
from services.consent.merkle import Frontier
from services.consent.record_checks import check, linked, sealed

Confirmed = Callable[[RawRecord, int, bytes], None]  # a record covered by a signed checkpoint, its index, its leaf


@dataclass(frozen=True)
class Finding:
    partition: int
    offset: int | None
    problem: str
    topic: str = "audit"  # or "checkpoints": the offset is in consent.audit.checkpoints


class OpenedCheckpoints(Protocol):
    """The opened checkpoints: tree checkpoints by partition and size (with their offsets), chain checkpoints (from
    before 2026-11-28) by partition and sequence."""

    trees: dict[int, dict[int, list[tuple[int, SignedCheckpoint]]]]
    chains: dict[tuple[int, int], list[events.AuditCheckpoint]]


@dataclass(slots=True)
class Entry:
    raw: RawRecord
    sequence: int
    hash: str
    leaf: bytes


@dataclass
class Branch:
    """A run of records that continue one another, from the last point a signed checkpoint confirmed."""

    base: Frontier
    base_head: tuple[int, str]
    pending: list[Entry] = field(default_factory=list)
    head: tuple[int, str] = (-1, "")  # of the last record: set from the others

    def __post_init__(self) -> None:
        self.head = (self.pending[-1].sequence, self.pending[-1].hash) if self.pending else self.base_head

    def add(self, entry: Entry) -> None:
        self.pending.append(entry)
        self.head = (entry.sequence, entry.hash)

    def tree(self) -> Frontier:
        tree = self.base.copy()
        for entry in self.pending:
            tree.append(entry.leaf)
        return tree


class PartitionLog:
    """One partition's log as it is read. Records that continue one another form a branch; a record that continues
    an earlier record of a branch (two records claim one place) starts another, and the signed checkpoints decide
    which branch is the log: the one whose tree has the signed root at the signed size. The worker signs every record
    in the transaction that writes it, so a record no checkpoint covers was written by someone else."""

    def __init__(self, partition: int, signed: OpenedCheckpoints, findings: list[Finding], confirmed: Confirmed | None,
                 start: tuple[Frontier, tuple[int, str]] | None, horizon: int | None) -> None:
        self.partition, self.known, self.findings, self.confirmed = partition, signed, findings, confirmed
        self.horizon = horizon
        self.sizes = signed.trees.get(partition, {})
        self.last_signed = max(self.sizes, default=0)
        self.matched: set[int] = set()  # sizes whose checkpoint a branch matched
        self.started = start[0].size if start else 0  # checkpoints up to this size were matched before
        self.covered: SignedCheckpoint | None = None
        self.branches = [Branch(*start) if start else Branch(Frontier(), (-1, GENESIS_HASH))]
        self.tree = self.branches[0].tree()  # the tree of the branch records were last added to
        self.current = self.branches[0]
        self.damaged: str | None = None  # a record was altered or lost: roots can no longer match

    def add(self, raw: RawRecord) -> None:
        # Where signed trees cover the log, a record's own hash is checked only when a tree does not match (to find
        # which record changed) or when no tree will cover it: the tree over the stored bytes vouches for the rest.
        sealed = self.damaged is not None or not self.sizes
        for branch in (self.current, *self.branches) if len(self.branches) > 1 else (self.current,):
            link = linked(raw, branch.head, sealed)
            if link is not None:
                self._extend(branch, Entry(raw, link[1], link[2], merkle.leaf_hash(raw.value or b"")))
                return
        problem, record = check(raw, self.current.head)
        if record is None or record.partition != raw.partition:
            self._found(raw.offset, problem or "not an audit record")
            return
        entry = Entry(raw, record.sequence, record.hash, merkle.leaf_hash(raw.value or b""))
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

    def _extend(self, branch: Branch, entry: Entry) -> None:
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

    def _confirm_if_signed(self, branch: Branch) -> None:
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

    def _locate(self, branch: Branch) -> None:
        """The tree does not match its signed root: the first record whose content does not match its own hash."""
        for entry in branch.pending:
            if not sealed(entry.raw):
                self._found(entry.raw.offset, "altered: the record's content does not match its hash")
                self.damaged = f"the record at offset {entry.raw.offset} was altered"
                self._confirm(branch, signed=False)
                return

    def _confirm(self, branch: Branch, signed: bool) -> None:
        """The branch is the log up to its head: its records are confirmed, the other branches' are not the log."""
        for other in self.branches:
            if other is not branch:
                self._foreign(other.pending[len(_shared(other, branch)):])
        if signed and self.confirmed is not None:
            for entry in branch.pending:
                self.confirmed(entry.raw, entry.sequence, entry.leaf)
        confirmed = Branch(self.tree.copy(), branch.head)
        self.branches, self.current = [confirmed], confirmed

    def _fork(self, record: events.AuditRecord, entry: Entry) -> bool:
        """A record that continues a record some branch already continued with another: a new branch."""
        for branch in self.branches:
            heads = [branch.base_head] + [(e.sequence, e.hash) for e in branch.pending]
            for depth, head in enumerate(heads[:-1]):
                if head == (record.sequence - 1, record.prev_hash):
                    fork = Branch(branch.base.copy(), branch.base_head, [*branch.pending[:depth], entry])
                    self.branches.append(fork)
                    self.current, self.tree = fork, fork.tree()
                    self._after_fork(fork)
                    return True
        return False

    def _after_fork(self, fork: Branch) -> None:
        if not self.damaged and self.sizes:
            self._confirm_if_signed(fork)

    def _restart(self, entry: Entry) -> None:
        """Go on after a gap: no tree can be checked any more in this partition (its leaves are missing)."""
        branch = Branch(Frontier(), (entry.sequence, entry.hash))
        self.branches, self.current, self.tree = [branch], branch, Frontier()

    def _foreign(self, entries: list[Entry]) -> None:
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
                    self._found(entry.raw.offset, self._uncovered(missed) if sealed(entry.raw) else
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


def _shared(branch: Branch, other: Branch) -> list[Entry]:
    """The entries two branches share from their common base."""
    shared = []
    for mine, theirs in zip(branch.pending, other.pending, strict=False):
        if mine is not theirs:
            break
        shared.append(mine)
    return shared
