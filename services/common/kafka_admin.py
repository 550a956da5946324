"""Create the platform's topics explicitly and idempotently (no reliance on auto-creation)."""

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.common import kafka_client
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import ALL, Topics, TopicSpec, ingress, ingress_dlq

logger = logging.getLogger(__name__)


def platform_topics(partners_file: Path = SEEDED_PARTNERS) -> tuple[TopicSpec, ...]:
    """The platform's topics and the ingress topics of the partners with Kafka access."""
    return ALL + tuple(spec for partner in ingress_partners(partners_file)
                       for spec in (ingress(partner), ingress_dlq(partner)))


async def create_topics(bootstrap: str, topics: Topics, replication_factor: int = 1,
                        overrides: dict[str, dict[str, str]] | None = None,
                        specs: Iterable[TopicSpec] | None = None, client: Mapping[str, Any] | None = None,
                        ) -> list[str]:
    """Create every missing topic (``specs``, by default the platform's: ``platform_topics()``) with its partitions
    and configs (``overrides`` by base name, e.g. to shorten retention in tests); ``client``: aiokafka's options of a
    secured cluster's admin (kafka_secured.py); returns the names created."""
    specs = platform_topics() if specs is None else tuple(specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **(client or kafka_client.aiokafka_options()))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(topics.name(spec), spec.partitions, replication_factor,
                     topic_configs={**spec.configs, **(overrides or {}).get(spec.base, {})})
            for spec in specs if topics.name(spec) not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                logger.info("topics created concurrently by another process")
        for topic in missing:
            logger.info("created topic %s", topic.name)
        return [t.name for t in missing]
    finally:
        await admin.close()
