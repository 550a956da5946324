"""Keeps the Redis index in step with the compacted ``listings`` topic (offsets committed after Redis applied)."""

import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from prometheus_client import Counter
from redis.exceptions import RedisError

from services.common import codec
from services.common.codec import DecodeError
from services.common.events import Listing
from services.search.index import ListingIndex

logger = logging.getLogger(__name__)
APPLIED = Counter("buurt_search_listing_changes_total", "Listing changes applied to the index", ["kind"])


class ConsumerState:
    """Whether the projection is connected to Kafka, for /readyz."""

    def __init__(self) -> None:
        self.connected = False

    async def ready(self) -> bool:
        return self.connected


async def run_consumer(bootstrap: str, topic: str, group_id: str, index: ListingIndex,
                       state: ConsumerState | None = None) -> None:
    """Consume until cancelled; reconnects after broker outages."""
    state = state or ConsumerState()
    while True:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", isolation_level="read_committed")
        try:
            await consumer.start()
            state.connected = True
            await _consume(consumer, index)
        except (KafkaError, RedisError) as exc:  # uncommitted changes are read again after the restart
            logger.warning("listings consumer error, restarting: %s", type(exc).__name__)
            await asyncio.sleep(1)
        finally:
            state.connected = False
            await consumer.stop()


async def _consume(consumer: AIOKafkaConsumer, index: ListingIndex) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=500, max_records=1000)
        changes: list[tuple[str, Listing | None]] = []
        for records in batches.values():
            for record in records:
                change = _change(record.key, record.value)
                if change is not None:
                    changes.append(change)
        if changes:
            await index.apply(changes)
            for _, listing in changes:
                APPLIED.labels("upsert" if listing else "remove").inc()
        if batches:
            await consumer.commit()


def _change(key: bytes | None, value: bytes | None) -> tuple[str, Listing | None] | None:
    if key is None:
        logger.warning("listing without key skipped")
        return None
    if value is None:
        return key.decode(), None
    try:
        return key.decode(), codec.decode(Listing, value)
    except DecodeError as exc:
        logger.warning("undecodable listing skipped: %s", exc.reason)
        return None
