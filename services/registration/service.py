"""Accepting partner events: publish durably, record the 'received' status, and make retries safe (idempotency)."""

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

from services.common import codec, events
from services.common.topics import Topics
from services.common.vocabulary import PLATFORM_ADMIN, ItemStatus, Reason, SubmissionStatus
from services.registration.errors import (
    BrokerUnavailable,
    Conflict,
    FieldError,
    InProgress,
    NotEntitled,
    RegistrationError,
    StoreUnavailable,
)
from services.registration.finishing import Finisher
from services.registration.kbo_check import KboRestoring
from services.registration.publisher import Publisher
from services.registration.store import RequestStore, Status

logger = logging.getLogger(__name__)
ACCEPTED = Counter("buurt_registration_events_accepted_total", "Partner events durably accepted",
                   ["partner", "event_type"])
UNENTITLED = Counter("buurt_registration_unentitled_requests_total",
                     "Requests to end a listing from a partner that never forwarded the business (refused, audited)",
                     ["partner", "event_type"])
MAX_BATCH = 1000


@dataclass
class ItemResult:
    """Outcome of one item of a batch: accepted (durably in Kafka), rejected (invalid) or unavailable (retry it)."""

    index: int
    status: ItemStatus
    id: str | None = None
    errors: list[FieldError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.id:
            body["id"] = self.id
        if self.errors:
            body["errors"] = [e.as_json() for e in self.errors]
        return body


async def publish(event: events.AnyPartnerEvent, publisher: Publisher, topics: Topics, store: RequestStore,
                  intake: Finisher) -> None:
    """Check the partner's authority, finish the event (a registration's KBO check, its person sealed; raises
    KboRestoring), durably publish (raises BrokerUnavailable), then record the submission as received for its
    partner."""
    await authorize(event, publisher, topics, store)
    event = intake.finish(event)
    await _publish_only(event, publisher, topics)
    await _record_received(store, [event])


async def authorize(event: events.AnyPartnerEvent, publisher: Publisher, topics: Topics, store: RequestStore) -> None:
    """A partner may end only the listing of a business it forwarded a registration of; the platform's operator may
    end any. A refusal is published first (the consent worker records it in the audit log), then NotEntitled."""
    if not isinstance(event, events.ConsentWithdrawn | events.ErasureRequested) or event.partner_id == PLATFORM_ADMIN:
        return
    if await store.forwarded_by(event.enterprise_number, event.partner_id):
        return
    refused = events.RequestRefused(event_id=event.event_id, partner_id=event.partner_id,
                                    submitted_at=event.submitted_at, enterprise_number=event.enterprise_number,
                                    requested=event.event_type, reason=Reason.PARTNER_NOT_ENTITLED)
    await _publish_only(refused, publisher, topics)
    UNENTITLED.labels(event.partner_id, event.event_type).inc()
    raise NotEntitled


async def _publish_only(event: events.AnyPartnerEvent, publisher: Publisher, topics: Topics) -> None:
    await publisher.publish(topics.submitted, codec.key(events.enterprise_number_of(event)), codec.encode(event))
    ACCEPTED.labels(event.partner_id, event.event_type).inc()


async def _record_received(store: RequestStore, accepted: list[events.AnyPartnerEvent]) -> None:
    """Their 'received' status, and the partners of the registrations among them as forwarders, in one round trip
    (the consent worker's record of forwarders, followed into the store, catches up with any write lost here)."""
    statuses = {str(e.event_id): Status(e.partner_id, events.enterprise_number_of(e), SubmissionStatus.RECEIVED,
                                        updated_at=e.submitted_at.timestamp()) for e in accepted}
    forwarded = [(e.business.enterprise_number, e.partner_id) for e in accepted
                 if isinstance(e, events.RegistrationSubmitted)]
    try:
        await store.put_received(statuses, forwarded)
    except StoreUnavailable:
        # The events are durable; their status appears once the decision arrives. Never report them as failed.
        logger.warning("statuses not recorded", extra={"events": len(statuses)})
    # Debug, not info: one log line per accepted request cost 12 % of a single request's CPU; operators count
    # accepted events with buurt_registration_events_accepted_total.
    logger.debug("events accepted", extra={"events": len(accepted)})


async def publish_items(built: list[events.AnyPartnerEvent | list[FieldError]], publisher: Publisher,
                        topics: Topics, store: RequestStore, intake: Finisher) -> list[ItemResult]:
    """Publish every valid item concurrently (the publisher commits them in as few transactions as it can);
    the result list keeps the input order."""

    async def one(index: int, item: events.AnyPartnerEvent | list[FieldError]) -> ItemResult:
        if isinstance(item, list):
            return ItemResult(index, ItemStatus.REJECTED, errors=item)
        try:
            await authorize(item, publisher, topics, store)
            await _publish_only(intake.finish(item), publisher, topics)
        except NotEntitled as refused:
            return ItemResult(index, ItemStatus.REJECTED, errors=refused.errors)
        except KboRestoring as restoring:
            return ItemResult(index, ItemStatus.UNAVAILABLE, errors=[FieldError("", restoring.detail)])
        except BrokerUnavailable:
            return ItemResult(index, ItemStatus.UNAVAILABLE,
                              errors=[FieldError("", "the event log is unavailable; retry")])
        return ItemResult(index, ItemStatus.ACCEPTED, id=str(item.event_id))

    results = list(await asyncio.gather(*(one(i, item) for i, item in enumerate(built))))
    accepted = [item for item, result in zip(built, results, strict=True)
                if not isinstance(item, list) and result.status is ItemStatus.ACCEPTED]
    if accepted:
        await _record_received(store, accepted)
    return results


def build_or_errors(build: Callable[[], events.AnyPartnerEvent]) -> events.AnyPartnerEvent | list[FieldError]:
    try:
        return build()
    except RegistrationError as exc:
        return exc.errors or [FieldError("", exc.detail)]


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


async def idempotent(store: RequestStore, partner_id: str, key: str | None, print_: str,
                     produce: Callable[[], Awaitable[tuple[int, dict[str, Any]]]]) -> tuple[int, dict[str, Any]]:
    """Run produce once per (partner, Idempotency-Key); a retry gets the original response, another body a 409."""
    if key is None:
        return await produce()
    scoped = f"{partner_id}:{key}"
    earlier = await store.reserve(scoped, print_)
    if earlier is not None:
        if earlier["fingerprint"] != print_:
            raise Conflict("this Idempotency-Key was used with a different request body")
        if earlier["response"] is None:
            raise InProgress("a request with this Idempotency-Key is still in progress; retry shortly")
        return int(earlier["response"]["status"]), dict(earlier["response"]["body"])
    try:
        status, body = await produce()
    except BaseException:
        await store.release(scoped)
        raise
    if status >= 500:  # nothing final to replay: let the retry do the work again
        await store.release(scoped)
    else:
        await store.complete(scoped, print_, {"status": status, "body": body})
    return status, body
