"""Signed checkpoints of the consent log: one RFC 9162 Merkle tree per partition of consent.audit, its root signed as
a C2SP tlog-checkpoint note at the end of every transaction that added records to the partition.

Why per partition: a partition is the only order Kafka guarantees, each is written by one transactional producer at a
time, and all records of one business share one (the key is its number), so one tree proves a business's whole
history. A global order would need a sequencer across partitions, i.e. one writer, which the worker's scale-out rules
out. The origin line names the partition: ``<log name>/<partition>``; the key's name is the log name.

The leaf of a record is its stored bytes, exactly as Kafka holds them. The note has one extension line, ``chain
<hash>``: the hash chain's head, signed with the root, so a restarted worker continues the chain and the tree from
values it signed itself, never from a record someone else appended.
"""

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.common import events
from services.consent.merkle import Frontier
from services.consent.note import Checkpoint, NoteError, Signer, Verifier, open_note

CHAIN = "chain "


@dataclass(frozen=True)
class Signed:
    """What an opened checkpoint says: the tree of ``partition`` had ``size`` leaves and ``root``; the chain's head
    was ``head`` (a record's hash; unset for an empty tree)."""

    partition: int
    size: int
    root: bytes
    head: str
    signers: tuple[Verifier, ...]
    note: str


def origin(log_name: str, partition: int) -> str:
    return f"{log_name}/{partition}"


def make(by: Signer, partition: int, tree: Frontier, head: str, now: datetime) -> events.LogCheckpoint:
    text = Checkpoint(origin(by.name, partition), tree.size, tree.root(), (f"{CHAIN}{head}",)).text()
    return events.LogCheckpoint(partition=partition, size=tree.size, note=by.sign(text), signed_at=now,
                                frontier=tuple(base64.b64encode(h).decode() for h in tree.hashes))


def open_signed(checkpoint: events.LogCheckpoint, verifiers: Iterable[Verifier]) -> Signed:
    """The checkpoint's statement, once a trusted key's signature, its origin and its size check out (NoteError)."""
    signed = open_checkpoint(checkpoint.note, checkpoint.partition, verifiers)
    if signed.size != checkpoint.size:
        raise NoteError(f"the note signs a tree of {signed.size} records, the record says {checkpoint.size}")
    return signed


def open_checkpoint(note: str, partition: int, verifiers: Iterable[Verifier]) -> Signed:
    """A checkpoint note of ``partition``'s tree, signed by a trusted key (NoteError otherwise)."""
    text, signers = open_note(note, list(verifiers))
    parsed = Checkpoint.parse(text)
    if parsed.origin not in {origin(v.name, partition) for v in signers}:
        raise NoteError(f"the note's origin {parsed.origin!r} is not this log's partition {partition}")
    heads = [line.removeprefix(CHAIN) for line in parsed.extensions if line.startswith(CHAIN)]
    return Signed(partition, parsed.size, parsed.root, heads[0] if heads else "", tuple(signers), note)


def frontier_of(checkpoint: events.LogCheckpoint, signed: Signed) -> Frontier:
    """The tree's right edge as the checkpoint stores it, trusted only because it hashes to the signed root."""
    try:
        frontier = Frontier(checkpoint.size, [base64.b64decode(h, validate=True) for h in checkpoint.frontier])
    except ValueError as exc:
        raise NoteError(f"the stored right edge is malformed: {exc}") from None
    if frontier.root() != signed.root:
        raise NoteError("the stored right edge does not hash to the signed root")
    return frontier


def verifiers(vkeys: str) -> list[Verifier]:
    """Verifier keys separated by white space or commas (raises NoteError naming the bad one)."""
    found = []
    for vkey in vkeys.replace(",", " ").split():
        try:
            found.append(Verifier.parse(vkey))
        except NoteError as exc:
            raise NoteError(f"{vkey[:24]}…: {exc}") from None
    return found
