"""Consent worker: events decided per second from a pre-filled input topic, with exactly-once (transactions: the
product) and, as the baseline that shows what transactions cost, at-least-once (same decider, idempotent producers
without transactions, offsets auto-committed).

The worker runs as a process of its own (``python -m bench.consent MODE``); the rate is measured from the broker's
timestamps of the first and last decision, so start-up and state restore are not counted.
"""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from bench.common import wire_events
from services.common.supervisor import supervised
from services.common.topics import Topics
from services.consent.config import Settings
from services.consent.worker import WORKER_TASK, ConsentWorker
from services.infra import stack

MODES = ("exactly_once", "at_least_once")


class AtLeastOnceWorker(ConsentWorker):
    """The baseline: what the worker would do without transactions (a crash may double decisions and audit
    records, which is why the product does not offer it)."""

    def _consumer(self, **overrides: object) -> AIOKafkaConsumer:
        return super()._consumer(enable_auto_commit=True, isolation_level="read_uncommitted")

    async def _producer_for(self, partition: int) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all",
                                    enable_idempotence=True, linger_ms=2)
        await producer.start()
        return producer

    async def _process(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        part, producer = self.partitions[tp.partition], self.producers[tp.partition]
        sent = [await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
                for out in self._decide(part, records)]
        await asyncio.gather(*sent)


async def _fill(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in records])
    finally:
        await producer.stop()


async def _decision_span(bootstrap: str, topic: str, count: int, limit_s: float) -> float:
    """Seconds between the first and the last of ``count`` decisions, by their timestamps in Kafka."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await consumer.start()
    seen, first, last, deadline = 0, float("inf"), 0.0, time.monotonic() + limit_s
    try:
        while seen < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                seen += len(records)
                first = min(first, *(r.timestamp for r in records))
                last = max(last, *(r.timestamp for r in records))
    finally:
        await consumer.stop()
    if seen < count:
        raise TimeoutError(f"{seen} of {count} decisions after {limit_s} s")
    return (last - first) / 1000


def _measure(bootstrap: str, topics: Topics, logs: Path, events: list[tuple[bytes, bytes]], mode: str) -> float:
    asyncio.run(_fill(bootstrap, topics.submitted, events))
    env = {**os.environ, **stack.local_secrets(logs), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "BUURT_TOPIC_PREFIX": topics.prefix}
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"consent-{mode}.log").open("ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "bench.consent", mode], env=env,  # noqa: S603
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        span = asyncio.run(_decision_span(bootstrap, topics.decisions, len(events), limit_s=1800))
    finally:
        worker.terminate()
        worker.wait(30)
    return len(events) / span


def run(bootstrap: str, topics: Topics, fresh_topics: Callable[[], Topics], logs: Path, events: int,
        ) -> dict[str, float]:
    records = wire_events(events)
    on = _measure(bootstrap, topics, logs, records, "exactly_once")
    off = _measure(bootstrap, fresh_topics(), logs, records, "at_least_once")
    return {"events": events, "exactly_once_per_s": round(on), "at_least_once_per_s": round(off),
            "exactly_once_to_at_least_once": round(on / off, 3)}


def _serve(mode: str) -> None:
    settings = Settings()
    worker = ConsentWorker(settings) if mode == "exactly_once" else AtLeastOnceWorker(settings)

    async def serve() -> None:
        async with supervised({WORKER_TASK: worker.run}):
            await asyncio.Event().wait()  # until terminated

    asyncio.run(serve())


if __name__ == "__main__":
    _serve(sys.argv[1])
