"""The three-node cluster of ``buurt-infra up --brokers 3``, started the same way on free ports: every topic of the
platform and Kafka's own (consumer offsets, transaction state) replicated on three brokers with two in sync required,
and no acknowledged write lost when the broker leading a partition is SIGKILLed under load (the short version of the
cluster fault stage)."""

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.common.kafka_admin import create_topics, platform_topics
from services.common.topics import Topics
from services.infra import kafka, process
from tests.conftest import FIGURES

SENDS = 600


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka.KafkaCluster]:
    home: Path = tmp_path_factory.mktemp("cluster")
    nodes = kafka.cluster(home, [("127.0.0.1", process.free_port(), process.free_port()) for _ in range(3)])
    kafka.start_cluster(nodes)
    try:
        yield nodes
    finally:
        kafka.stop_cluster(nodes)


async def describe(bootstrap: str, names: list[str]) -> dict[str, list[dict[str, object]]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {topic["topic"]: topic["partitions"] for topic in await admin.describe_topics(names)}
    finally:
        await admin.close()


async def topic_config(bootstrap: str, topic: str, name: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [(_, _, _, _, entries)] = response.resources
        return next(str(value) for key, value, *_ in entries if key == name)
    finally:
        await admin.close()


async def use_kafkas_own_topics(bootstrap: str, topic: str) -> None:
    """A transaction and a group commit: Kafka creates its transaction state and consumer offsets topics."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id="cluster-test")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"x", key=b"0000000097")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="cluster-test",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=5000)
        await consumer.commit()
    finally:
        await consumer.stop()


def test_every_topic_is_replicated_on_three_brokers_with_two_in_sync_required(cluster: kafka.KafkaCluster) -> None:
    topics = Topics("rf.")
    asyncio.run(create_topics(cluster.bootstrap, topics, replication_factor=3))
    asyncio.run(use_kafkas_own_topics(cluster.bootstrap, topics.submitted))
    names = [topics.name(spec) for spec in platform_topics()] + ["__transaction_state", "__consumer_offsets"]
    described = asyncio.run(describe(cluster.bootstrap, names))
    assert set(described) == set(names)
    for name, partitions in described.items():
        assert partitions, name
        assert all(len(p["replicas"]) == 3 for p in partitions), name  # type: ignore[arg-type]
    assert asyncio.run(topic_config(cluster.bootstrap, topics.audit, "min.insync.replicas")) == "2"
    assert asyncio.run(topic_config(cluster.bootstrap, topics.audit, "unclean.leader.election.enable")) == "false"


async def send_through_a_leaders_death(cluster: kafka.KafkaCluster, topic: str) -> tuple[list[str], float]:
    """Send SENDS records one after the other (acks=all, idempotent); after a third, SIGKILL the broker leading
    partition 0. Returns the acknowledged ids and the longest wait for one acknowledgement."""
    leader = (await describe(cluster.bootstrap, [topic]))[topic][0]["leader"]
    victim = next(node for node in cluster.nodes if node.node_id == leader)
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    acked, longest = [], 0.0
    try:
        for i in range(SENDS):
            if i == SENDS // 3:
                os.kill(process.read_pid(victim.pid_file) or 0, signal.SIGKILL)
            started = time.monotonic()
            await producer.send_and_wait(topic, f"{i}".encode(), key=b"k", partition=0)
            longest = max(longest, time.monotonic() - started)
            acked.append(f"{i}")
    finally:
        await producer.stop()
    return acked, longest


async def read_all(bootstrap: str, topic: str) -> list[str]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    await consumer.start()
    try:
        values: list[str] = []
        while len(values) < SENDS:
            batches = await consumer.getmany(timeout_ms=10_000)
            if not batches:
                break
            values += [record.value.decode() for part in batches.values() for record in part if record.value]
        return values
    finally:
        await consumer.stop()


def test_no_acknowledged_write_is_lost_when_the_leaders_broker_is_killed(cluster: kafka.KafkaCluster) -> None:
    topics = Topics("kill.")
    asyncio.run(create_topics(cluster.bootstrap, topics, replication_factor=3))
    acked, longest = asyncio.run(send_through_a_leaders_death(cluster, topics.submitted))
    assert len(acked) == SENDS
    read = asyncio.run(read_all(cluster.bootstrap, topics.submitted))
    assert read == acked  # every acknowledged record, once, in order
    FIGURES.append(f"kafka cluster: partition leader's broker SIGKILLed under acks=all sends: {SENDS} of {SENDS} "
                   f"acknowledged and read back once, in order; longest wait for an acknowledgement {longest:.1f} s")
    kafka.start_cluster(cluster)  # the killed node rejoins; the replicas catch up
    assert process.until(lambda: all(
        len(p["isr"]) == 3  # type: ignore[arg-type]
        for p in asyncio.run(describe(cluster.bootstrap, [topics.submitted]))[topics.submitted]), 120)
