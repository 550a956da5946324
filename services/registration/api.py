"""HTTP edge of the registration service: parse, call intake, publish, map errors to problem+json.

Bulk endpoints (batch, CloudEvents, CSV uploads) live in bulk.py.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import Counter

from services.common import events
from services.common.explanations import sentence
from services.common.problems import PROBLEM_JSON, problem
from services.common.schemas import schema_of
from services.common.vocabulary import PLATFORM_ADMIN, EventType
from services.registration import intake, parsing, service, validation
from services.registration.deps import (
    BearerDep,
    PartnerDep,
    PublisherDep,
    SettingsDep,
    StoreDep,
    TopicsDep,
    admin_token_matches,
    authenticated_partner,
)
from services.registration.errors import InProgress, NotFound, RateLimited, RegistrationError
from services.registration.finishing import Finisher
from services.registration.models import (
    Accepted,
    BusinessSubmissionsOut,
    ErasureIn,
    FindingOut,
    KboSnapshotOut,
    RegistrationIn,
    SubmissionOut,
    WithdrawalIn,
)
from services.registration.partners import Partner
from services.registration.schemas import partner_schemas
from services.registration.store import Status

REFUSED = Counter("buurt_registration_requests_refused_total", "Requests refused", ["status"])
router = APIRouter(prefix="/v1")
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="retries with the same key and body return the first result")]


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {400: "Bad request", 401: "Missing, wrong, expired or replayed credentials",
              403: "Not allowed for this partner", 404: "Unknown to this partner",
              409: "Idempotency-Key reused with another body", 413: "Body too large",
              415: "Unsupported Content-Type", 422: "Invalid field (JSON pointers in 'errors')",
              429: "Rate limit exceeded (see Retry-After)", 503: "Event log or request store unavailable"}
    return {code: {"description": titles[code], "content": {PROBLEM_JSON: {}}} for code in codes}


WRITE_PROBLEMS = problems(401, 403, 409, 413, 415, 422, 429, 503)


async def accept(event: events.AnyPartnerEvent, publisher: PublisherDep, topics: TopicsDep,
                 store: StoreDep, intake: Finisher) -> tuple[int, dict[str, Any]]:
    await service.publish(event, publisher, topics, store, intake)
    return 202, Accepted(id=str(event.event_id), received_at=event.submitted_at).model_dump(mode="json")


async def accept_once(request: Request, partner: Partner, key: str | None, store: StoreDep,
                      build: Any, publisher: PublisherDep, topics: TopicsDep) -> JSONResponse:
    """Build (validate) and publish one event, once per Idempotency-Key."""
    body = await request.body()

    async def produce() -> tuple[int, dict[str, Any]]:
        return await accept(build(), publisher, topics, store, request.app.state.intake)

    status, payload = await service.idempotent(
        store, partner.id, key, service.fingerprint(request.method, request.url.path, body), produce)
    return JSONResponse(payload, status_code=status)


@router.post("/registrations", status_code=202, response_model=Accepted, responses=WRITE_PROBLEMS,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": RegistrationIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def submit_registration(request: Request, partner: PartnerDep, publisher: PublisherDep, topics: TopicsDep,
                              store: StoreDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None,
                              ) -> JSONResponse:
    """Submit one registration (canonical JSON, or the partner's native format when it has an adapter).

    202 only once Kafka (acks=all) has the event; the consent worker then lists or rejects it.
    """
    partner.require(EventType.REGISTRATION_SUBMITTED)
    data = parsing.json_body(await request.body(), request.headers.get("content-type"))

    def build() -> events.RegistrationSubmitted:
        registration = parsing.registration(data, partner)
        return intake.build_submitted(registration, partner.id, uuid.uuid4(), datetime.now(UTC),
                                      settings.max_km_from_postcode)

    return await accept_once(request, partner, idempotency_key, store, build, publisher, topics)


@router.post("/withdrawals", status_code=202, response_model=Accepted, responses=WRITE_PROBLEMS)
async def submit_withdrawal(request: Request, withdrawal: WithdrawalIn, settings: SettingsDep, publisher: PublisherDep,
                            topics: TopicsDep, store: StoreDep, credentials: BearerDep,
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Withdraw a business's consent; it leaves the directory within seconds of the decision. By a partner that
    forwarded a registration of the business, or by the platform's operator (admin token) for any business."""
    requester = await requester_of(request, settings, store, credentials, EventType.CONSENT_WITHDRAWN)
    return await _end_listing(request, requester, idempotency_key, publisher, topics, store,
                              lambda: intake.build_withdrawn(withdrawal, requester, uuid.uuid4(), datetime.now(UTC)))


@router.post("/erasure-requests", status_code=202, response_model=Accepted, responses=WRITE_PROBLEMS)
async def submit_erasure(request: Request, erasure: ErasureIn, settings: SettingsDep, publisher: PublisherDep,
                         topics: TopicsDep, store: StoreDep, credentials: BearerDep,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Erase the consenting person's data: by a partner that forwarded a registration of the business, or by the
    platform's DPO (admin token)."""
    requester = await requester_of(request, settings, store, credentials, EventType.ERASURE_REQUESTED)
    return await _end_listing(request, requester, idempotency_key, publisher, topics, store,
                              lambda: intake.build_erasure(erasure, requester, uuid.uuid4(), datetime.now(UTC)))


async def requester_of(request: Request, settings: SettingsDep, store: StoreDep,
                       credentials: HTTPAuthorizationCredentials | None, event_type: EventType) -> str:
    """The platform's operator (admin token, no signature), or the authenticated partner allowed this event type."""
    if admin_token_matches(settings, credentials):
        return PLATFORM_ADMIN
    partner = await authenticated_partner(request, store, settings, credentials,
                                          request.headers.get("x-buurt-timestamp"),
                                          request.headers.get("x-buurt-signature"))
    partner.require(event_type)
    return partner.id


async def _end_listing(request: Request, requester: str, key: str | None, publisher: PublisherDep,
                       topics: TopicsDep, store: StoreDep, build: Callable[[], events.AnyPartnerEvent],
                       ) -> JSONResponse:
    body = await request.body()

    async def produce() -> tuple[int, dict[str, Any]]:
        return await accept(build(), publisher, topics, store, request.app.state.intake)

    status, payload = await service.idempotent(
        store, requester, key, service.fingerprint(request.method, request.url.path, body), produce)
    return JSONResponse(payload, status_code=status)


@router.get("/registrations/{event_id}", response_model=SubmissionOut, responses=problems(401, 404))
async def registration_status(event_id: uuid.UUID, partner: PartnerDep, store: StoreDep) -> SubmissionOut:
    """Status of one of the partner's own submissions (registration, withdrawal or erasure request), with the
    decision's reason codes."""
    status = await store.get_status(str(event_id))
    if status is None or status.partner_id != partner.id:  # another partner's id is as unknown as a made-up one
        raise NotFound("no submission with this id from this partner")
    return _submission(str(event_id), status)


@router.get("/businesses/{enterprise_number}/submissions", response_model=BusinessSubmissionsOut,
            responses=problems(401, 422))
async def business_submissions(enterprise_number: str, partner: PartnerDep, store: StoreDep,
                               limit: Annotated[int, Query(ge=1, le=100)] = 20) -> BusinessSubmissionsOut:
    """The partner's own submissions about one business (any spelling of its enterprise number), latest first;
    another partner's submissions are never shown."""
    number = validation.enterprise_number(enterprise_number)
    found = await store.submissions(partner.id, number, limit)
    return BusinessSubmissionsOut(enterprise_number=number,
                                  submissions=[_submission(event_id, status) for event_id, status in found])


def _submission(event_id: str, status: Status) -> SubmissionOut:
    snapshot = None
    if status.kbo_extract is not None:
        snapshot = KboSnapshotOut(extract_number=status.kbo_extract, snapshot_date=status.kbo_snapshot_date)
    return SubmissionOut(id=event_id, status=status.status, reasons=list(status.reasons),
                         findings=[FindingOut(reason=r, sentence=sentence(r)) for r in status.reasons],
                         kbo_snapshot=snapshot, enterprise_number=status.enterprise_number,
                         updated_at=datetime.fromtimestamp(status.updated_at, UTC))


@router.get("/schemas/{name}", responses=problems(404))
async def json_schema(name: str) -> JSONResponse:
    """JSON Schema of a partner-facing model or event: registration, withdrawal, erasure-request,
    registration-submitted, consent-withdrawn, erasure-requested, decision, listing."""
    model = partner_schemas().get(name)
    if model is None:
        raise NotFound(f"no schema named {name!r}; known: {', '.join(sorted(partner_schemas()))}")
    return JSONResponse(schema_of(model), media_type="application/schema+json")


def install_error_handlers(app: FastAPI, retry_after_s: int) -> None:
    @app.exception_handler(RegistrationError)
    async def registration_error(_: Request, exc: RegistrationError) -> JSONResponse:
        REFUSED.labels(str(exc.status)).inc()
        headers = None
        if exc.status == 503:
            headers = {"Retry-After": str(retry_after_s)}
        elif isinstance(exc, RateLimited | InProgress):
            headers = {"Retry-After": str(exc.retry_after_s)}
        elif exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        extra = {"errors": [e.as_json() for e in exc.errors]} if exc.errors else {}
        return problem(exc.status, exc.title, exc.detail, type_=exc.type_, headers=headers, **extra)
