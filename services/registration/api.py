"""HTTP edge of the registration service: parse, call intake, publish, map errors to problem+json."""

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from services.common import codec
from services.common.events import ConsentWithdrawn, RegistrationSubmitted
from services.common.problems import PROBLEM_JSON, problem
from services.common.topics import Topics
from services.registration import intake
from services.registration.errors import RegistrationError
from services.registration.models import Accepted, RegistrationIn, WithdrawalIn
from services.registration.partners import Partner, PartnerRegistry
from services.registration.publisher import Publisher

logger = logging.getLogger(__name__)
ACCEPTED = Counter("buurt_registrations_accepted_total", "Registrations durably accepted", ["partner"])
REJECTED = Counter("buurt_registrations_rejected_total", "Requests refused", ["status"])

router = APIRouter(prefix="/v1")
PartnerEvent = RegistrationSubmitted | ConsentWithdrawn
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"description": title, "content": {PROBLEM_JSON: {}}}
    for code, title in [(401, "Missing or unknown API key"), (422, "Invalid field (JSON pointer in 'errors')"),
                        (503, "Event log unavailable; retry after 'Retry-After' seconds")]
}


def get_partner(request: Request, authorization: Annotated[str | None, Header()] = None) -> Partner:
    registry: PartnerRegistry = request.app.state.partners
    return registry.authenticate(authorization)


def get_publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


def get_topics(request: Request) -> Topics:
    topics: Topics = request.app.state.topics
    return topics


PartnerDep = Annotated[Partner, Depends(get_partner)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
TopicsDep = Annotated[Topics, Depends(get_topics)]


@router.post("/registrations", status_code=202, response_model=Accepted, responses=PROBLEM_RESPONSES)
async def submit_registration(
    registration: RegistrationIn, partner: PartnerDep, publisher: PublisherDep, topics: TopicsDep,
) -> Accepted:
    """Accept one registration; 202 only once Kafka (acks=all) has it."""
    now = datetime.now(UTC)
    event = intake.build_submitted(registration, partner.id, uuid.uuid4(), now)
    return await _publish(event, event.business.enterprise_number, publisher, topics)


@router.post("/withdrawals", status_code=202, response_model=Accepted, responses=PROBLEM_RESPONSES)
async def submit_withdrawal(
    withdrawal: WithdrawalIn, partner: PartnerDep, publisher: PublisherDep, topics: TopicsDep,
) -> Accepted:
    """Withdraw a business's consent; it leaves the directory once the consent worker decides."""
    event = intake.build_withdrawn(withdrawal, partner.id, uuid.uuid4(), datetime.now(UTC))
    return await _publish(event, event.enterprise_number, publisher, topics)


async def _publish(event: PartnerEvent, enterprise_number: str, publisher: Publisher, topics: Topics) -> Accepted:
    await publisher.publish(topics.submitted, codec.key(enterprise_number), codec.encode(event))
    ACCEPTED.labels(event.partner_id).inc()
    logger.info("event accepted", extra={"event_id": str(event.event_id), "event_type": event.event_type,
                                         "partner": event.partner_id})
    return Accepted(id=str(event.event_id), received_at=event.submitted_at)


def install_error_handlers(app: FastAPI, retry_after_s: int) -> None:
    @app.exception_handler(RegistrationError)
    async def registration_error(_: Request, exc: RegistrationError) -> JSONResponse:
        REJECTED.labels(str(exc.status)).inc()
        headers = {"Retry-After": str(retry_after_s)} if exc.status == 503 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        extra = {"errors": [{"pointer": exc.pointer, "detail": exc.detail}]} if exc.pointer else {}
        return problem(exc.status, exc.title, exc.detail, type_=exc.type_, headers=headers, **extra)
