"""Create the platform's topics explicitly and idempotently (no reliance on auto-creation)."""

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.common.topics import ALL, Topics

logger = logging.getLogger(__name__)


async def create_topics(bootstrap: str, topics: Topics, replication_factor: int = 1,
                        overrides: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Create every missing topic with its partitions and configs (``overrides`` by base name, e.g. to shorten
    retention in tests); returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(topics.name(spec), spec.partitions, replication_factor,
                     topic_configs={**spec.configs, **(overrides or {}).get(spec.base, {})})
            for spec in ALL if topics.name(spec) not in existing
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
