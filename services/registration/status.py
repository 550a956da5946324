"""Feeds partners' submission statuses from ``registrations.decisions`` (a consumer inside the registration service)."""

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from services.common import codec, events
from services.common.codec import DecodeError
from services.registration.errors import StoreUnavailable
from services.registration.store import RequestStore, Status

logger = logging.getLogger(__name__)
STATUS_OF = {"approved": "listed", "rejected": "rejected", "withdrawn": "withdrawn", "erased": "erased"}


async def apply_decision(store: RequestStore, decision: events.Decision) -> None:
    """The event's own status; a withdrawal or erasure also ends the status of the business's listed registration."""
    status = Status(decision.partner_id, decision.enterprise_number, STATUS_OF[decision.outcome], decision.reasons,
                    time.time())
    await store.put_status(str(decision.source_event_id), status)
    if decision.outcome == "approved":
        await store.latest_registration(decision.enterprise_number, str(decision.source_event_id))
    elif decision.outcome in {"withdrawn", "erased"}:
        latest = await store.latest_registration(decision.enterprise_number)
        earlier = await store.get_status(latest) if latest else None
        if latest and earlier:
            await store.put_status(latest, Status(earlier.partner_id, earlier.enterprise_number, status.status,
                                                  decision.reasons, status.updated_at))


async def follow_decisions(bootstrap: str, topic: str, group_id: str, store: RequestStore) -> None:
    """Consume decisions until cancelled; offsets are committed after the statuses are stored."""
    while True:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                                    auto_offset_reset="earliest", isolation_level="read_committed")
        try:
            await consumer.start()
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=500)
                for records in batches.values():
                    for record in records:
                        await _apply_record(store, record.value)
                if batches:
                    await consumer.commit()
        except (KafkaError, StoreUnavailable) as exc:  # resume from the last committed offset once both answer
            logger.warning("decisions consumer error, restarting: %s", type(exc).__name__)
            await asyncio.sleep(1)
        finally:
            await consumer.stop()


async def _apply_record(store: RequestStore, value: bytes | None) -> None:
    try:
        await apply_decision(store, codec.decode(events.Decision, value))
    except DecodeError as exc:
        logger.warning("undecodable decision skipped: %s", exc.reason)
