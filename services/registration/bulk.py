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
from services.registration import adapters, examples, intake, parsing, service, spreadsheet
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
                       publisher: PublisherDep, topics: TopicsDep, store: StoreDep,
                       described: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: body) -> JSONResponse:
    """``described``: what an upload adds to the result (its rows' numbers and columns, its charset)."""
    body = await request.body()

    async def produce() -> tuple[int, dict[str, Any]]:
        built = [service.build_or_errors(build) for build in builders]
        status, payload = _summary(await service.publish_items(built, publisher, topics, store,
                                                                request.app.state.intake))
        return status, described(payload)

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


CSV_BODY = {"requestBody": {"required": True, "content": {
    spreadsheet.CSV_MEDIA: {"schema": {"type": "string"}, "example": examples.CSV},
    spreadsheet.XLSX_MEDIA: {"schema": {"type": "string", "format": "binary"}}}}}


class UploadResult(BulkResult):
    charset: str | None = None
    charset_detected: bool | None = None


@router.post("/partners/{partner_id}/uploads", response_model=UploadResult, responses=WRITE_PROBLEMS,
             openapi_extra=CSV_BODY)
async def upload_csv(partner_id: str, request: Request, partner: PartnerDep, publisher: PublisherDep,
                     topics: TopicsDep, store: StoreDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None,
                     ) -> JSONResponse:
    """A spreadsheet (CSV as Excel or LibreOffice save it, or .xlsx; a header row; columns in docs/partners.md), one
    registration per row; each row's result names its row and the columns of its errors."""
    if partner_id != partner.id:
        raise Forbidden("a partner can only upload as itself")
    partner.require(EventType.REGISTRATION_SUBMITTED)
    sheet = await _sheet(request)
    rows = adapters.check_sheet(sheet)
    canonical = Partner(partner.id, partner.name, (), b"", partner.allowed_events)  # rows are already canonical
    builders = [_row_builder(row, canonical, settings.max_km_from_postcode) for row in rows]

    def described(payload: dict[str, Any]) -> dict[str, Any]:
        for result in payload["results"]:
            result["row"] = spreadsheet.row_number(result["index"])
            for error in result.get("errors", []):
                if column := adapters.column_of(error["pointer"]):
                    error["column"] = column
        return {**payload, **sheet.described()}

    return await _publish_all(request, partner, idempotency_key, builders, publisher, topics, store, described)


async def _sheet(request: Request) -> spreadsheet.Sheet:
    media, _, parameters = (request.headers.get("content-type") or "").partition(";")
    body = await request.body()
    if media.strip().lower() == spreadsheet.CSV_MEDIA:
        return spreadsheet.read_csv(body, _charset(parameters))
    if media.strip().lower() == spreadsheet.XLSX_MEDIA:
        return spreadsheet.read_xlsx(body, adapters.MAX_CSV_ROWS)
    raise UnsupportedMedia(f"send Content-Type: {spreadsheet.CSV_MEDIA} (with its charset, if not UTF-8) or "
                           f"{spreadsheet.XLSX_MEDIA}")


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _row_builder(row: dict[str, str], partner: Partner, max_km: float) -> Callable[[], events.RegistrationSubmitted]:
    """Reading the row's cells belongs to the row: a cell that cannot be read refuses that row only."""
    return lambda: intake.build_submitted(parsing.registration(adapters.from_csv_row(row), partner), partner.id,
                                          uuid.uuid4(), datetime.now(UTC), max_km)
