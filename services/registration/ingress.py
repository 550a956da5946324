"""Partners' Kafka ingress: a partner with Kafka access writes CloudEvents (the Kafka protocol binding, binary or
structured mode, its native format in ``data`` where it has an adapter) to its own topic ``ingress.<partner id>``;
one supervised task per partner (``ingress:<partner id>``) takes them through exactly the intake of the HTTP
endpoints (adapter, validation, consent rules, authority, idempotency by CloudEvent id) and publishes the canonical
event to ``registrations.submitted``, which only buurt writes.

A record that is refused (not a CloudEvent, another partner's source, an invalid field, a request the partner is not
entitled to) goes to the partner's own ``ingress.<partner id>.dlq`` with the reason, where the partner reads it.
The event log unavailable ends the task: the supervisor restarts it from the last committed offset, and the
CloudEvent id makes the retry safe.
"""

import logging
from datetime import UTC, datetime
from typing import assert_never

from aiokafka.structs import ConsumerRecord

from services.common import codec
from services.common.consuming import follow
from services.common.dead_letters import dead_letter
from services.common.kafka_admin import create_topics
from services.common.supervisor import RecordFailed, TaskHandle
from services.common.topics import Topics, ingress, ingress_dlq
from services.common.vocabulary import ItemStatus
from services.registration.cloudevents_in import for_partner, parse_kafka
from services.registration.cloudevents_intake import accept_cloudevent
from services.registration.errors import BrokerUnavailable, RegistrationError
from services.registration.finishing import Finisher
from services.registration.partners import Partner
from services.registration.publisher import Publisher
from services.registration.store import RequestStore

logger = logging.getLogger(__name__)


def task_name(partner: Partner) -> str:
    return f"ingress:{partner.id}"


async def follow_ingress(partner: Partner, bootstrap: str, topics: Topics, group_id: str, publisher: Publisher,
                         store: RequestStore, max_km: float, intake: Finisher, handle: TaskHandle) -> None:
    """Take the partner's ingress topic until cancelled (its two topics are created when missing)."""
    await create_topics(bootstrap, topics, specs=(ingress(partner.id), ingress_dlq(partner.id)))
    dlq = topics.name(ingress_dlq(partner.id))

    async def apply(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            reason = await _take(record, partner, publisher, topics, store, max_km, intake)
            if reason is not None:
                await _dead_letter(record, reason, dlq, publisher)

    await follow(bootstrap, topics.name(ingress(partner.id)), group_id, handle, apply)


async def _take(record: ConsumerRecord[bytes, bytes], partner: Partner, publisher: Publisher, topics: Topics,
                store: RequestStore, max_km: float, intake: Finisher) -> str | None:
    """None when the record was accepted (now or before), else why it was refused."""
    try:
        cloud = for_partner(parse_kafka(record.headers or (), record.key, record.value), partner)
    except RegistrationError as exc:
        return _reason([f"{e.pointer}: {e.detail}" for e in exc.errors] if exc.errors else [exc.detail])
    try:
        result = await accept_cloudevent(0, cloud, partner, publisher, topics, store, max_km, intake)
    except BrokerUnavailable as exc:
        raise RecordFailed(record.topic, record.partition, record.offset) from exc
    match result.status:
        case ItemStatus.ACCEPTED:
            return None
        case ItemStatus.REJECTED:
            return _reason([f"{e.pointer}: {e.detail}" + (f" ({e.code})" if e.code else "") for e in result.errors])
        case ItemStatus.UNAVAILABLE:
            raise RecordFailed(record.topic, record.partition, record.offset)
        case _:
            assert_never(result.status)


def _reason(parts: list[str]) -> str:
    return "; ".join(parts)[:2000]


async def _dead_letter(record: ConsumerRecord[bytes, bytes], reason: str, dlq: str, publisher: Publisher) -> None:
    letter = dead_letter(record.topic, record.partition, record.offset, record.value, tuple(record.headers or ()),
                         reason, datetime.now(UTC))
    try:
        await publisher.publish(dlq, record.key or b"", codec.encode(letter))
    except BrokerUnavailable as exc:
        raise RecordFailed(record.topic, record.partition, record.offset) from exc
    logger.info("ingress record refused", extra={"topic": record.topic, "partition": record.partition,
                                                 "offset": record.offset})
