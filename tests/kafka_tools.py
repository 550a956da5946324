"""Test helpers that read topics the way an auditor or a downstream consumer would, and a secured cluster."""

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from secrets import token_urlsafe
from typing import cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import Topics
from services.infra import kafka, kafka_acls, stack, tls
from services.infra.kafka_secured import Secured


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


@contextmanager
def secured_cluster(home: Path, topics: Topics) -> Iterator[tuple[kafka.KafkaCluster, Secured]]:
    """A secured three-node cluster on free ports (its own CA, a fresh password per principal), with the platform's
    topics under ``topics`` and their ACLs, as `buurt-infra up --brokers 3 --secure` makes it."""
    passwords = {name: token_urlsafe(24) for name in kafka_acls.principals(ingress_partners(SEEDED_PARTNERS))}
    nodes = kafka.local_cluster(home, secured=Secured(tls.ensure(home / "tls", ["127.0.0.1", "localhost"]),
                                                      passwords))
    kafka.start_cluster(nodes)
    try:
        stack.provision(nodes, topics)
        yield nodes, cast(Secured, nodes.nodes[0].secured)
    finally:
        kafka.stop_cluster(nodes)
