"""Restoring partitions' state on assignment: consent states, subject keys and forwarding partners from their
compacted changelogs; the audit log's tree and chain head from the partition's last checkpoint signed by a key the
worker trusts (never from the last record: anyone with write access could have appended that). One consumer reads all
assigned partitions together (read_committed: aborted transactions never count).

A partition that has audit records but no such checkpoint (a log written before checkpoints were Merkle trees) is read
once from its start to build its tree; its next transaction signs it."""

import logging
import sys
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.common import codec, events, kafka_client
from services.common.codec import DecodeError
from services.common.topics import Topics
from services.consent import checkpoints
from services.consent.audit import GENESIS_HASH, chain_hash
from services.consent.decider import PartitionState, load_forwarders, load_state
from services.consent.merkle import Frontier, leaf_hash
from services.consent.note import NoteError, Verifier

Records = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
logger = logging.getLogger(__name__)


class Untrusted(Exception):
    """The partition's checkpoints are all signed by keys the worker does not trust: continuing would fork the log."""


async def restore_partitions(bootstrap: str, topics: Topics, partitions: list[int],
                             trusted: list[Verifier]) -> dict[int, PartitionState]:
    restored = {p: PartitionState(p) for p in partitions}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", auto_offset_reset="earliest",
                                **kafka_client.aiokafka_options())
    await consumer.start()
    try:
        loaders: dict[str, Callable[[PartitionState], tuple[dict[str, Any], Callable[[bytes], Any]]]] = {
            topics.consent_state: lambda part: (part.states, load_state),
            topics.subject_keys: lambda part: (part.keys, bytes.decode),
            topics.forwarders: lambda part: (part.forwarders, load_forwarders),
        }
        changelogs = [TopicPartition(t, p) for t in loaders for p in partitions]
        for tp, records in (await _read(consumer, {tp: None for tp in changelogs})).items():
            table, load = loaders[tp.topic](restored[tp.partition])
            for record in records:
                _apply(table, load, record)
        await _restore_trees(consumer, topics, restored, trusted)
        return restored
    finally:
        await consumer.stop()


def _apply(table: dict[str, Any], load: Callable[[bytes], Any], record: ConsumerRecord[bytes, bytes]) -> None:
    key = sys.intern((record.key or b"").decode())  # one string per business across the three tables
    if record.value is None:
        table.pop(key, None)
    else:
        table[key] = load(record.value)


async def _read(consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int | None]) -> Records:
    """Records of each partition from its start (None: the beginning) to its end offset as of now."""
    consumer.assign(list(starts))
    ends = await consumer.end_offsets(list(starts))
    for tp, start in starts.items():
        if start is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, start)
    found: Records = {tp: [] for tp in starts}
    pending = {tp for tp in starts if ends[tp] > 0}
    idle = 0
    while pending and idle < 10:  # trailing transaction markers never arrive as records: stop when idle
        batch = await consumer.getmany(*pending, timeout_ms=300, max_records=10_000)
        idle = 0 if batch else idle + 1
        for tp, records in batch.items():
            found[tp].extend(records)
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    return found


async def _restore_trees(consumer: AIOKafkaConsumer, topics: Topics, restored: dict[int, PartitionState],
                         trusted: list[Verifier]) -> None:
    found, untrusted = await _last_checkpoints(consumer, topics.checkpoints, list(restored), trusted)
    for partition, (signed, frontier) in found.items():
        part = restored[partition]
        part.tree, part.head, part.signed = frontier, (signed.size - 1, signed.head or GENESIS_HASH), signed.size
    legacy = [p for p in restored if p not in found]
    if refused := [p for p in legacy if p in untrusted]:
        raise Untrusted(f"partitions {refused}: no checkpoint signed by a trusted key (CONSENT_SIGNING_KEY, "
                        "CONSENT_PREVIOUS_KEYS); after a key rotation, list the previous key")
    audit = [TopicPartition(topics.audit, p) for p in legacy]
    ends = await consumer.end_offsets(audit) if audit else {}
    records = await _read(consumer, {tp: None for tp in audit if ends[tp] > 0}) if any(ends.values()) else {}
    for tp, partition_records in records.items():
        if partition_records:
            logger.info("building the audit tree of a partition from its records", extra={"partition": tp.partition})
            part = restored[tp.partition]
            part.tree, part.head = _chained(partition_records)


async def _last_checkpoints(consumer: AIOKafkaConsumer, topic: str, partitions: list[int], trusted: list[Verifier],
                            ) -> tuple[dict[int, tuple[checkpoints.Signed, Frontier]], set[int]]:
    """Each partition's last checkpoint that a trusted key signed, with its tree's right edge; and the partitions
    holding tree checkpoints of none of these keys. Scans back from each end in growing windows."""
    tps = [TopicPartition(topic, p) for p in partitions]
    ends = await consumer.end_offsets(tps)
    found: dict[int, tuple[checkpoints.Signed, Frontier]] = {}
    untrusted: set[int] = set()
    window, todo = 16, [tp for tp in tps if ends[tp] > 0]
    while todo:
        records = await _read(consumer, {tp: max(0, ends[tp] - window) for tp in todo})
        for tp in todo:
            last = _last_trusted(records[tp], trusted)
            if isinstance(last, tuple):
                found[tp.partition] = last
            elif last:
                untrusted.add(tp.partition)
        todo = [tp for tp in todo if tp.partition not in found and ends[tp] - window > 0]
        window *= 4
    return found, untrusted - set(found)


def _last_trusted(records: list[ConsumerRecord[bytes, bytes]], trusted: list[Verifier],
                  ) -> tuple[checkpoints.Signed, Frontier] | bool:
    """The last trusted checkpoint with its right edge; else whether there was any tree checkpoint at all."""
    seen = False
    for raw in reversed(records):
        try:
            checkpoint = codec.decode(events.LogCheckpoint, raw.value)
        except DecodeError:
            continue  # an older kind of checkpoint, or not one: the verifier reports what is wrong
        seen = True
        try:
            signed = checkpoints.open_signed(checkpoint, trusted)
            return signed, checkpoints.frontier_of(checkpoint, signed)
        except NoteError:
            continue
    return seen


def _chained(records: list[ConsumerRecord[bytes, bytes]]) -> tuple[Frontier, tuple[int, str]]:
    """The tree and head of the records that continue the chain from its start (others are the verifier's
    business)."""
    tree, head = Frontier(), (-1, GENESIS_HASH)
    for raw in records:
        try:
            record = codec.decode(events.AuditRecord, raw.value)
        except DecodeError:
            continue
        if (record.sequence, record.prev_hash) == (head[0] + 1, head[1]) and chain_hash(record) == record.hash:
            tree.append(leaf_hash(raw.value or b""))
            head = (record.sequence, record.hash)
    return tree, head
