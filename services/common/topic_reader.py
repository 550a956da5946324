"""Reads a topic from offset 0 to its end, partition by partition, without a consumer group (no offsets committed):
what auditors replay (consent.audit) and what the search index is rebuilt from (listings)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.common import kafka_client

BATCH = 5000


class OffsetsAhead(Exception):
    """A read that should go on from offsets the topic no longer reaches: it was deleted and created again."""


@dataclass(frozen=True)
class RawRecord:
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None = None


async def read_topic(bootstrap: str, topic: str, progress: Callable[[int], None] | None = None,
                     starts: Mapping[int, int] | None = None, only: set[int] | None = None) -> list[RawRecord]:
    """Every committed record, in offset order per partition (read_committed: aborted transactions are skipped);
    from ``starts[partition]`` where given, else from the partition's first record; of the ``only`` partitions."""
    assigned = [TopicPartition(topic, p) for p in await partitions(bootstrap, topic) if only is None or p in only]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", auto_offset_reset="earliest",
                                max_partition_fetch_bytes=8 * 1024 * 1024, **kafka_client.aiokafka_options())
    try:
        await consumer.start()
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        for tp in assigned:
            if starts and tp.partition in starts:
                consumer.seek(tp, starts[tp.partition])
        ends = await consumer.end_offsets(assigned)
        if starts and (behind := [tp.partition for tp in assigned if starts.get(tp.partition, 0) > ends[tp]]):
            raise OffsetsAhead(f"{topic}: partitions {behind} end before where this reader stopped last time")
        records: list[RawRecord] = []
        for tp in assigned:
            records.extend(await _read_partition(consumer, tp, ends[tp], progress))
        return records
    finally:
        await consumer.stop()


async def partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client.aiokafka_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code"):
        raise LookupError(f"topic {topic} cannot be read (error {described['error_code']})")
    return sorted(p["partition"] for p in described["partitions"])


async def _read_partition(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int,
                          progress: Callable[[int], None] | None) -> list[RawRecord]:
    found: list[RawRecord] = []
    consumer.pause(*(p for p in consumer.assignment() if p != tp))
    consumer.resume(tp)
    idle = 0
    # A fetch that meets only a transaction marker returns nothing but moves the position past it, so short waits
    # end a partition that ends in a marker at once; fifty of them in a row (5 s) end one that never does.
    while await consumer.position(tp) < end and idle < 50:
        batch = await consumer.getmany(tp, timeout_ms=100, max_records=BATCH)
        idle = 0 if batch.get(tp) else idle + 1
        for record in batch.get(tp, []):
            found.append(RawRecord(tp.partition, record.offset, record.value, record.key))
        if progress is not None:
            progress(len(batch.get(tp, [])))
    return found


@dataclass(frozen=True)
class KeyedValue:
    key: str
    value: str | None


async def read_keyed(bootstrap: str, topic: str) -> list[KeyedValue]:
    """A compacted changelog (text keys and values), in order; a tombstone reads as None."""
    records = await read_topic(bootstrap, topic)
    return [KeyedValue((r.key or b"").decode(), r.value.decode() if r.value is not None else None) for r in records]


async def read_at(bootstrap: str, topic: str, wanted: list[tuple[int, int]]) -> dict[tuple[int, int], RawRecord]:
    """The records at these (partition, offset) places: a handful, e.g. one business's audit records."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", **kafka_client.aiokafka_options())
    found: dict[tuple[int, int], RawRecord] = {}
    try:
        await consumer.start()
        consumer.assign(sorted({TopicPartition(topic, partition) for partition, _ in wanted}))
        for partition, offset in wanted:
            tp = TopicPartition(topic, partition)
            consumer.seek(tp, offset)
            consumer.pause(*(p for p in consumer.assignment() if p != tp))
            consumer.resume(tp)
            for _ in range(20):  # a few fetches at most: the record is there, or the log lost it
                batch = await consumer.getmany(tp, timeout_ms=500, max_records=1)
                records = batch.get(tp, [])
                if records:
                    record = records[0]
                    found[(partition, offset)] = RawRecord(partition, record.offset, record.value, record.key)
                    break
    finally:
        await consumer.stop()
    return found
