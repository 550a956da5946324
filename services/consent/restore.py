"""Restoring partitions' state on assignment: consent states, subject keys and forwarding partners from their
compacted changelogs, the audit chain head from the last record of the same partition of consent.audit. One consumer
reads all assigned partitions together (read_committed: aborted transactions never count)."""

import sys
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topics import Topics
from services.consent.audit import chain_hash
from services.consent.decider import PartitionState, load_forwarders, load_state

Records = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


async def restore_partitions(bootstrap: str, topics: Topics, partitions: list[int]) -> dict[int, PartitionState]:
    restored = {p: PartitionState(p) for p in partitions}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", auto_offset_reset="earliest")
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
        for partition, head in (await _audit_heads(consumer, topics.audit, partitions)).items():
            restored[partition].head = head
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


async def _audit_heads(consumer: AIOKafkaConsumer, topic: str, partitions: list[int]) -> dict[int, tuple[int, str]]:
    """Scan back from each end in growing windows (transaction markers occupy offsets too)."""
    tps = [TopicPartition(topic, p) for p in partitions]
    ends = await consumer.end_offsets(tps)
    heads: dict[int, tuple[int, str]] = {}
    window = 64
    todo = [tp for tp in tps if ends[tp] > 0]
    while todo:
        records = await _read(consumer, {tp: max(0, ends[tp] - window) for tp in todo})
        for tp in todo:
            head = _last_valid(records[tp])
            if head is not None:
                heads[tp.partition] = (head.sequence, head.hash)
        todo = [tp for tp in todo if tp.partition not in heads and ends[tp] - window > 0]
        window *= 4
    return heads


def _last_valid(records: list[ConsumerRecord[bytes, bytes]]) -> events.AuditRecord | None:
    for raw in reversed(records):
        try:
            record = codec.decode(events.AuditRecord, raw.value)
        except DecodeError:
            continue
        if chain_hash(record) == record.hash:  # a forged or altered record is the verifier's business
            return record
    return None
