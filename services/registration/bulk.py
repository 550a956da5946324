"""Bulk intake: JSON batches, CloudEvents (structured and batch) and CSV uploads, each with per-item results.

A bulk response lists every item in input order with ``accepted`` (durably in Kafka, with its id), ``rejected``
(with JSON-pointer errors relative to the item) or ``unavailable`` (the event log failed; retry that item).
The HTTP status is 200 when every item was decided (accepted or rejected) and 503 when some are unavailable.
"""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common import events
from services.common.vocabulary import EventType, ItemStatus, Reason
from services.registration import adapters, examples, intake, parsing, service
from services.registration.api import WRITE_PROBLEMS, IdempotencyKey
from services.registration.cloudevents_in import (
    BATCH,
    STRUCTURED,
    for_partner,
    parse_batch,
    parse_structured,
)
from services.registration.cloudevents_intake import accept_cloudevent
from services.registration.deps import PartnerDep, PublisherDep, SettingsDep, StoreDep, TopicsDep
from services.registration.errors import (
    BrokerUnavailable,
    Forbidden,
    InvalidField,
    InvalidFields,
    NotEntitled,
    UnsupportedMedia,
)
from services.registration.finishing import Finisher
from services.registration.models import Accepted
from services.registration.partners import Partner

router = APIRouter(prefix="/v1")


class BulkResult(BaseModel):
    accepted: int
    rejected: int
    unavailable: int
    results: list[dict[str, Any]]


def _summary(results: list[service.ItemResult]) -> tuple[int, dict[str, Any]]:
    counts = {s.value: sum(1 for r in results if r.status is s) for s in ItemStatus}
    return (503 if counts[ItemStatus.UNAVAILABLE] else 200), {**counts, "results": [r.as_json() for r in results]}


async def _publish_all(request: Request, partner: Partner, key: str | None, builders: list[Callable[[], Any]],
                       publisher: PublisherDep, topics: TopicsDep, store: StoreDep) -> JSONResponse:
    body = await request.body()

    async def produce() -> tuple[int, dict[str, Any]]:
        built = [service.build_or_errors(build) for build in builders]
        return _summary(await service.publish_items(built, publisher, topics, store, request.app.state.intake))

    status, payload = await service.idempotent(
        store, partner.id, key, service.fingerprint(request.method, request.url.path, body), produce)
    return JSONResponse(payload, status_code=status)


def _registration_builder(data: Any, partner: Partner, max_km: float) -> Callable[[], events.RegistrationSubmitted]:
    return lambda: intake.build_submitted(parsing.registration(data, partner), partner.id, uuid.uuid4(),
                                          datetime.now(UTC), max_km)


BATCH_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["registrations"], "additionalProperties": False,
    "properties": {"registrations": {"type": "array", "minItems": 1, "maxItems": service.MAX_BATCH,
                                     "items": {"$ref": "#/components/schemas/RegistrationIn"}}}},
    "example": {"registrations": [examples.REGISTRATION]}}}}}


@router.post("/registrations:batch", response_model=BulkResult, responses=WRITE_PROBLEMS, openapi_extra=BATCH_BODY)
async def submit_batch(request: Request, partner: PartnerDep, publisher: PublisherDep, topics: TopicsDep,
                       store: StoreDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None,
                       ) -> JSONResponse:
    """Up to 1,000 registrations in one request, with a result per item (see the module docs)."""
    partner.require(EventType.REGISTRATION_SUBMITTED)
    data = parsing.json_body(await request.body(), request.headers.get("content-type"))
    items = data.get("registrations") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or set(data) != {"registrations"}:
        raise InvalidField("send {\"registrations\": [...]} with 1 to 1000 items", "/registrations")
    if len(items) > service.MAX_BATCH:
        raise InvalidField(f"at most {service.MAX_BATCH} registrations per batch", "/registrations")
    builders = [_registration_builder(item, partner, settings.max_km_from_postcode) for item in items]
    return await _publish_all(request, partner, idempotency_key, builders, publisher, topics, store)


CLOUDEVENTS_BODY = {"requestBody": {"required": True, "content": {
    STRUCTURED: {"schema": {"type": "object", "description": "one CloudEvent 1.0 (structured mode)"},
                 "example": examples.CLOUDEVENT},
    BATCH: {"schema": {"type": "array", "maxItems": service.MAX_BATCH, "items": {"type": "object"}},
            "example": [examples.CLOUDEVENT]}}}}


EVENTS_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_PROBLEMS, 202: {"model": Accepted, "description": "one structured CloudEvent durably accepted"}}


@router.post("/events", response_model=BulkResult, responses=EVENTS_RESPONSES, openapi_extra=CLOUDEVENTS_BODY)
async def submit_cloudevents(request: Request, partner: PartnerDep, publisher: PublisherDep, topics: TopicsDep,
                             store: StoreDep, settings: SettingsDep) -> JSONResponse:
    """CloudEvents 1.0, structured (``application/cloudevents+json``) or batch
    (``application/cloudevents-batch+json``); the CloudEvent ``id`` is the idempotency key of each event."""
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    raw = await request.body()
    if media == STRUCTURED:
        elements: list[Any] = [raw]
    elif media == BATCH:
        elements = parse_batch(raw)
        if len(elements) > service.MAX_BATCH:
            raise InvalidField(f"at most {service.MAX_BATCH} events per batch", "")
    else:
        raise UnsupportedMedia(f"send {STRUCTURED} or {BATCH}")
    results = [await _one_cloudevent(i, element, partner, publisher, topics, store, settings.max_km_from_postcode,
                                       request.app.state.intake)
               for i, element in enumerate(elements)]
    if media == STRUCTURED:
        return _single_outcome(results[0])
    status, body = _summary(results)
    return JSONResponse(body, status_code=status)


def _single_outcome(result: service.ItemResult) -> JSONResponse:
    """A structured CloudEvent is answered like the single-event endpoints: 202, 422 or 503."""
    if result.status is ItemStatus.REJECTED:
        if any(e.code == Reason.PARTNER_NOT_ENTITLED for e in result.errors):
            raise NotEntitled
        raise InvalidFields(result.errors)
    if result.status is ItemStatus.UNAVAILABLE:
        raise BrokerUnavailable("the event log did not acknowledge the write; retry later")
    accepted = Accepted(id=str(result.id), received_at=datetime.now(UTC))
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202)


async def _one_cloudevent(index: int, element: Any, partner: Partner, publisher: PublisherDep, topics: TopicsDep,
                          store: StoreDep, max_km: float, intake: Finisher) -> service.ItemResult:
    try:
        cloud = for_partner(parse_structured(element if isinstance(element, bytes) else json.dumps(element)), partner)
    except Forbidden:
        raise
    except InvalidField as exc:
        return service.ItemResult(index, ItemStatus.REJECTED, errors=exc.errors)
    return await accept_cloudevent(index, cloud, partner, publisher, topics, store, max_km, intake)


CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"},
                                                                      "example": examples.CSV}}}}


@router.post("/partners/{partner_id}/uploads", response_model=BulkResult, responses=WRITE_PROBLEMS,
             openapi_extra=CSV_BODY)
async def upload_csv(partner_id: str, request: Request, partner: PartnerDep, publisher: PublisherDep,
                     topics: TopicsDep, store: StoreDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None,
                     ) -> JSONResponse:
    """A spreadsheet export (CSV, header row; columns in docs/partners.md), one registration per row."""
    if partner_id != partner.id:
        raise Forbidden("a partner can only upload as itself")
    partner.require(EventType.REGISTRATION_SUBMITTED)
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != "text/csv":
        raise UnsupportedMedia("send Content-Type: text/csv")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidField("the CSV must be UTF-8", "") from None
    rows = adapters.csv_rows(text)
    canonical = Partner(partner.id, partner.name, (), b"", partner.allowed_events)  # rows are already canonical
    builders = [_registration_builder(adapters.from_csv_row(row), canonical, settings.max_km_from_postcode)
                for row in rows]
    return await _publish_all(request, partner, idempotency_key, builders, publisher, topics, store)
