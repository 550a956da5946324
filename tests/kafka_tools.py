"""Test helpers that read topics the way an auditor or a downstream consumer would."""

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord


async def read_all(bootstrap: str, topic: str, *, expect: int = 0, timeout: float = 30.0,
                   ) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record of a topic, from offset 0; waits until at least ``expect`` arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, isolation_level="read_committed", group_id=None)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            if not batch and len(records) >= expect:
                break
    finally:
        await consumer.stop()
    return records


async def produce(bootstrap: str, topic: str, items: Sequence[tuple[bytes | None, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await asyncio.gather(*(producer.send_and_wait(topic, value, key=key) for key, value in items))
    finally:
        await producer.stop()
