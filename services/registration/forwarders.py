"""Who may end a listing: the partners that forwarded a registration of each business, followed from the consent
worker's compacted ``consent.forwarders`` into the request store by a supervised task (``forwarders-follower``).

The intake also records a partner the moment it accepts its registration, so a withdrawal right after it is never
refused; this follower makes the store complete (registrations that came another way) and rebuildable: the topic
keeps every business's latest list, so a store that lost its data is filled again by resetting the consumer group.
A record that cannot be decoded is skipped (logged with its offset, counted); the store down restarts the task.
"""

import json
import logging

from aiokafka.structs import ConsumerRecord

from services.common.consuming import each, follow
from services.common.supervisor import SKIPPED, RecordFailed, TaskHandle
from services.registration.store import RequestStore

logger = logging.getLogger(__name__)
TASK = "forwarders-follower"


async def follow_forwarders(bootstrap: str, topic: str, group_id: str, store: RequestStore,
                            handle: TaskHandle) -> None:
    await follow(bootstrap, topic, group_id, handle, each(lambda record: _apply(store, record)))


async def _apply(store: RequestStore, record: ConsumerRecord[bytes, bytes]) -> None:
    try:
        number = (record.key or b"").decode()
        partners = json.loads(record.value) if record.value is not None else []
        if not number or not isinstance(partners, list) or not all(isinstance(p, str) for p in partners):
            raise ValueError
    except ValueError:
        SKIPPED.labels(TASK, "undecodable").inc()
        logger.warning("forwarders record skipped", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset, "reason": "undecodable"})
        return
    try:
        await store.add_forwarders(number, partners)
    except Exception as exc:
        raise RecordFailed(record.topic, record.partition, record.offset) from exc
