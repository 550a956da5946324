"""CloudEvents 1.0 input (structured and batch JSON over HTTP; binary and structured over Kafka), parsed with the
`cloudevents` SDK.

Event types: ``be.buurt.<event type>.v1`` for each partner event type (``be.buurt.registration.submitted.v1``,
``be.buurt.consent.withdrawn.v1``, ``be.buurt.erasure.requested.v1``); ``source`` must be
``/partners/<partner id>`` of the authenticated partner; ``data`` is the canonical JSON body of the matching
endpoint (or the partner's native format when it has an adapter).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka
from cloudevents.core.bindings.kafka import KafkaMessage
from cloudevents.core.formats.json import JSONFormat

from services.common.vocabulary import PARTNER_EVENT_TYPES, EventType, cloudevent_type
from services.registration.errors import Forbidden, InvalidField
from services.registration.partners import Partner

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
TYPES = {cloudevent_type(event_type): event_type for event_type in PARTNER_EVENT_TYPES}


@dataclass(frozen=True)
class PartnerCloudEvent:
    id: str
    event_type: EventType
    data: Any


def parse_structured(raw: bytes | str) -> BaseCloudEvent:
    try:
        return JSONFormat().read(None, raw)
    except Exception as exc:  # noqa: BLE001 - the SDK raises assorted errors for malformed envelopes
        raise InvalidField(f"not a valid CloudEvent: {type(exc).__name__}", "") from None


def parse_kafka(headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes | None) -> BaseCloudEvent:
    """A CloudEvent from a Kafka record, in binary mode (``ce_`` headers, ``data`` in the value) or structured mode
    (``content-type: application/cloudevents+json``), as the CloudEvents Kafka protocol binding has it."""
    try:
        return kafka.from_kafka_event(KafkaMessage(headers=dict(headers), key=key, value=value or b""))
    except Exception as exc:  # noqa: BLE001 - the SDK raises assorted errors for malformed records
        raise InvalidField(f"not a valid CloudEvent: {type(exc).__name__}", "") from None


def parse_batch(raw: bytes) -> list[Any]:
    """The batch's elements (each a JSON object to parse as a structured event)."""
    try:
        elements = json.loads(raw)
    except ValueError:
        raise InvalidField("a CloudEvents batch is a JSON array", "") from None
    if not isinstance(elements, list):
        raise InvalidField("a CloudEvents batch is a JSON array", "")
    return elements


def for_partner(event: BaseCloudEvent, partner: Partner) -> PartnerCloudEvent:
    """Check type and source (a partner may only act as itself) and return what the endpoints need."""
    event_type = TYPES.get(event.get_type())
    if event_type is None:
        raise InvalidField(f"unknown CloudEvent type; use one of {', '.join(TYPES)}", "/type")
    if event.get_source() != f"/partners/{partner.id}":
        raise Forbidden(f"source must be /partners/{partner.id}: a partner can only send as itself")
    partner.require(event_type)
    return PartnerCloudEvent(event.get_id(), event_type, event.get_data())
