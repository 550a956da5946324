"""Consent worker: events decided per second (exactly once, transactions), from a pre-filled input topic."""

import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import wire_events
from services.common.topics import Topics
from tests.platform import running_platform


async def _fill(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in records])
    finally:
        await producer.stop()


async def _wait_for(bootstrap: str, topic: str, count: int, limit_s: float) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await consumer.start()
    seen, deadline = 0, time.monotonic() + limit_s
    try:
        while seen < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
            seen += sum(len(r) for r in batch.values())
        return time.perf_counter()
    finally:
        await consumer.stop()


def run(bootstrap: str, redis_url: str, topics: Topics, logs: Path, events: int) -> dict[str, float]:
    asyncio.run(_fill(bootstrap, topics.submitted, wire_events(events)))
    with running_platform(bootstrap, redis_url, topics, logs, names=("buurt-consent",)):
        started = time.perf_counter()  # the worker is ready (assigned, state restored) when this runs
        finished = asyncio.run(_wait_for(bootstrap, topics.decisions, events, limit_s=600))
    return {"events": events, "decided_per_s": round(events / (finished - started))}
