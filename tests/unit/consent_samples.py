"""Events, a decider and records for the consent worker's unit tests (pure: no Kafka)."""

import uuid
from datetime import UTC, datetime, timedelta

from services.common import codec, events
from services.common.topics import Topics
from services.common.vocabulary import PARTNER_EVENT_TYPES
from services.consent import crypto
from services.consent.decider import Decider, InputRecord, Out, PartitionState
from services.consent.note import Signer
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from tests.samples import KBO_CONFIRMED, registration_body

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
VALIDITY = timedelta(days=730)
NUMBER = "0428759497"
PARTNER = "unizo-winkelhier"
TOPICS = Topics("unit.")


LOG_NAME = "buurt.test/consent-audit"


def signer() -> Signer:
    _, signing = crypto.generate_secrets()
    return Signer(LOG_NAME, crypto.signing_key(signing))


def decider() -> Decider:
    master, _ = crypto.generate_secrets()
    return Decider(TOPICS, {PARTNER: frozenset(PARTNER_EVENT_TYPES)}, VALIDITY, crypto.unb64(master), signer())


def grant(given_at: datetime = NOW - 3 * DAY, purposes: tuple[str, ...] = ("listing",),
          number: str = NUMBER, **consent: object) -> events.RegistrationSubmitted:
    """A registration as it arrives on Kafka (past the intake's checks: any method, any evidence)."""
    event = build_submitted(RegistrationIn.model_validate(registration_body(number)), PARTNER, uuid.uuid4(), NOW)
    assert event.consent is not None
    return event.model_copy(update={"kbo": KBO_CONFIRMED, "consent": event.consent.model_copy(
        update={"given_at": given_at, "purposes": purposes, **consent})})


def withdrawal(at: datetime = NOW) -> events.ConsentWithdrawn:
    return events.ConsentWithdrawn(event_id=uuid.uuid4(), partner_id=PARTNER, submitted_at=NOW,
                                   enterprise_number=NUMBER, withdrawn_at=at)


def erasure() -> events.ErasureRequested:
    return events.ErasureRequested(event_id=uuid.uuid4(), partner_id=PARTNER, submitted_at=NOW,
                                   enterprise_number=NUMBER, requested_at=NOW)


def expiry_check() -> events.ExpiryCheck:
    return events.ExpiryCheck(event_id=uuid.uuid4(), submitted_at=NOW, enterprise_number=NUMBER)


def input_record(event: events.AnyPartnerEvent | bytes | None, offset: int = 0, partition: int = 0) -> InputRecord:
    value = event if isinstance(event, bytes | None) else codec.encode(event)
    return InputRecord(TOPICS.submitted, partition, offset, NUMBER.encode(), value)


def on(outs: list[Out], topic: str) -> list[Out]:
    return [out for out in outs if out.topic == topic]


def handle(the_decider: Decider, part: PartitionState, *items: events.AnyPartnerEvent) -> list[Out]:
    outs: list[Out] = []
    for offset, event in enumerate(items):
        outs += the_decider.handle(part, input_record(event, offset, part.partition), NOW)
    return outs


def transaction(the_decider: Decider, part: PartitionState, *items: events.AnyPartnerEvent) -> list[Out]:
    """What the worker sends in one transaction: the decisions' outputs, then the partition's signed checkpoint."""
    outs = handle(the_decider, part, *items)
    checkpoint = the_decider.checkpoint(part, NOW)
    return outs if checkpoint is None else [*outs, checkpoint]
