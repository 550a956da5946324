import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.common.kafka_admin import create_topics
from services.common.topics import ALL, PARTITIONS, Topics


async def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        [(_, _, _, _, entries)] = response.resources
        return {entry[0]: entry[1] for entry in entries}
    finally:
        await admin.close()


def test_topics_are_created_once_with_their_partitions_and_configs(kafka_bootstrap: str, topics: Topics) -> None:
    assert asyncio.run(create_topics(kafka_bootstrap, topics)) == []  # the fixture already created them all
    listings = asyncio.run(topic_config(kafka_bootstrap, topics.listings))
    assert listings["cleanup.policy"] == "compact"
    assert asyncio.run(topic_config(kafka_bootstrap, topics.audit))["retention.ms"] == "-1"

    async def partitions() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics([topics.name(spec) for spec in ALL])
            return {t["topic"]: len(t["partitions"]) for t in described}
        finally:
            await admin.close()

    assert asyncio.run(partitions()) == {topics.name(spec): spec.partitions for spec in ALL}
    assert {spec.partitions for spec in ALL} == {PARTITIONS, 1}  # kbo.snapshots: one record, one partition
