"""Pure checks and replays over the consent log, as auditors run them (``buurt-audit``).

Input: the raw records of ``consent.audit`` (partition, offset, value) in offset order per partition, and the raw
records of the signed checkpoints' topic. Output: findings naming partition and offset, the records each signed
checkpoint covers (for the proof index), the timeline of one business, the listed set at a time.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import assert_never

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topic_reader import RawRecord
from services.common.vocabulary import ListingEffect, listing_effect
from services.consent import crypto
from services.consent.checkpoints import Signed, frontier_of, open_signed
from services.consent.merkle import Frontier
from services.consent.note import NoteError, Verifier
from services.consent.partition_log import Confirmed, Finding, PartitionLog


@dataclass
class VerifyReport:
    records: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)
    unsigned: int = 0  # records of logs from before tree checkpoints, newer than their partition's last checkpoint
    covered: dict[int, Signed] = field(default_factory=dict)  # the checkpoint that covers each partition's records

    @property
    def ok(self) -> bool:
        return not self.findings


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
    logs: dict[int, PartitionLog] = {}

    def log_of(partition: int) -> PartitionLog:
        if partition not in logs:
            logs[partition] = PartitionLog(partition, known, report.findings, confirmed, (start or {}).get(partition),
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
    return report


class _Checkpoints:
    """The checkpoints' topic, opened: tree checkpoints by partition and size, older chain checkpoints by partition
    and sequence; whatever does not open is a finding at its offset."""

    def __init__(self, report: VerifyReport, trusted: list[Verifier]) -> None:
        self.report, self.trusted = report, trusted
        self.trees: dict[int, dict[int, list[tuple[int, Signed]]]] = {}  # partition -> size -> (offset, )
        self.chains: dict[tuple[int, int], list[events.AuditCheckpoint]] = {}
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
