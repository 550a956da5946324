"""Accepting one partner CloudEvent, whichever way it came (HTTP structured or batch, or the partner's Kafka ingress
topic): the CloudEvent ``id`` is its idempotency key, ``data`` goes through the partner's adapter and the same intake
as the other endpoints (validation, consent rules, authority), and the canonical event is published."""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, assert_never

from services.common import events
from services.common.topics import Topics
from services.common.vocabulary import EventType, ItemStatus
from services.registration import intake, parsing, service
from services.registration.cloudevents_in import PartnerCloudEvent
from services.registration.errors import FieldError, Forbidden
from services.registration.finishing import Finisher
from services.registration.models import ErasureIn, WithdrawalIn
from services.registration.partners import Partner
from services.registration.publisher import Publisher
from services.registration.store import RequestStore


async def accept_cloudevent(index: int, cloud: PartnerCloudEvent, partner: Partner, publisher: Publisher,
                            topics: Topics, store: RequestStore, max_km: float, intake: Finisher) -> service.ItemResult:
    """Accepted, rejected (with field errors) or unavailable (retry); a CloudEvent id seen before answers as then."""
    build = _builder(cloud, partner, max_km)

    async def produce() -> tuple[int, dict[str, Any]]:
        built = service.build_or_errors(build)
        [result] = await service.publish_items([built], publisher, topics, store, intake)
        return (503 if result.status is ItemStatus.UNAVAILABLE else 200), result.as_json()

    print_ = service.fingerprint("CE", cloud.event_type, json.dumps(cloud.data, sort_keys=True, default=str).encode())
    _, body = await service.idempotent(store, partner.id, f"ce:{cloud.id}", print_, produce)
    return service.ItemResult(index, ItemStatus(body["status"]), body.get("id"),
                              [FieldError(e["pointer"], e["detail"], e.get("code")) for e in body.get("errors", [])])


def _builder(cloud: PartnerCloudEvent, partner: Partner, max_km: float) -> Callable[[], events.AnyPartnerEvent]:
    now = datetime.now(UTC)
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"/partners/{partner.id}/events/{cloud.id}")
    match cloud.event_type:
        case EventType.REGISTRATION_SUBMITTED:
            return lambda: intake.build_submitted(parsing.registration(cloud.data, partner), partner.id, event_id, now,
                                                  max_km)
        case EventType.CONSENT_WITHDRAWN:
            return lambda: intake.build_withdrawn(parsing.validated(WithdrawalIn, cloud.data), partner.id, event_id,
                                                  now)
        case EventType.ERASURE_REQUESTED:
            return lambda: intake.build_erasure(parsing.validated(ErasureIn, cloud.data), partner.id, event_id, now)
        case EventType.EXPIRY_CHECK | EventType.REQUEST_REFUSED:  # for_partner() refused them: buurt's own events
            raise Forbidden(f"{cloud.event_type} is an event of buurt's own")
        case _:
            assert_never(cloud.event_type)
