"""The short cluster stage of the fault suite (`make chaos` runs it too): on three Kafka nodes with three consent
workers, two registration and two search replicas under load, the partition leader's broker is SIGKILLed, then cut
off the network (each node in a network namespace of its own, where the machine allows: as root), then the active
controller, a consent worker and the Redis primary are SIGKILLed; no accepted submission is lost or decided twice,
search keeps answering while Kafka loses a node and recovers from the Redis failover, and the 503 windows are
measured. The cluster is the one `buurt-infra up --brokers 3` makes: every topic, Kafka's own included, on three
brokers with two in sync required."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.common.kafka_admin import platform_topics
from tests.chaos import cluster
from tests.conftest import FIGURES


async def replication(bootstrap: str, topics: list[str]) -> tuple[dict[str, set[int]], str]:
    """The replica counts of each topic's partitions, and the audit log's min.insync.replicas."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {topic["topic"]: {len(p["replicas"]) for p in topic["partitions"]}
                     for topic in await admin.describe_topics(topics)}
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topics[0])])
        [(_, _, _, _, entries)] = response.resources
        return described, next(str(value) for key, value, *_ in entries if key == "min.insync.replicas")
    finally:
        await admin.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[cluster.ClusterPlatform]:
    started = cluster.ClusterPlatform(tmp_path).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.timeout(600)  # a three-node cluster, seven service processes and five faults: about five minutes
def test_nothing_accepted_is_lost_when_brokers_the_controller_a_worker_and_the_redis_primary_die(
        platform: cluster.ClusterPlatform) -> None:
    outcome = cluster.run(platform, rate_per_s=4, pause_s=2, outage_s=5)  # make chaos: 8 s outages
    assert outcome.ok, outcome.findings
    assert platform.network is None or cluster.CUT_FAULT in outcome.windows_s  # as root, each node on a host
    assert outcome.accepted > 50
    windows = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in outcome.windows_s.items())
    FIGURES.append(f"cluster faults: {outcome.accepted} accepted submissions, {outcome.searches} searches, all "
                   f"decided once, index = consent state, audit verifies; 503 windows: {windows}; search not 200 "
                   f"for {outcome.search_gap_s:.1f} s around the Redis failover")
    names = [platform.topics.audit, *(platform.topics.name(spec) for spec in platform_topics()),
             "__consumer_offsets", "__transaction_state"]
    replicas, in_sync = asyncio.run(replication(platform.bootstrap, names))
    assert replicas == {name: {3} for name in names}
    assert in_sync == "2"
