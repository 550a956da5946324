"""Every decision outcome walked through every consumer of it: the consent worker's outputs (decision, listing
change, audit record), the partners' statuses, the search projection, the auditors' replay and CLI. The expected
effects are written out here by hand, apart from the code under test; a new outcome fails this test until it is
added."""

from dataclasses import dataclass

import pytest
from aiokafka.structs import ConsumerRecord

from services.common import codec, events
from services.common.topic_reader import RawRecord
from services.common.vocabulary import (
    PARTNER_EVENT_TYPES,
    AuditEvent,
    EventType,
    Outcome,
    SubmissionStatus,
    cloudevent_type,
)
from services.consent import cli, ledger
from services.consent.decider import Out, PartitionState
from services.consent.policy import ConsentState
from services.registration.cloudevents_in import TYPES
from services.registration.status import apply_decision
from services.search import consumer
from tests.fakes import InMemoryRequestStore
from tests.unit.consent_samples import (
    DAY,
    NOW,
    NUMBER,
    TOPICS,
    VALIDITY,
    decider,
    erasure,
    expiry_check,
    grant,
    handle,
    input_record,
    on,
    withdrawal,
)


@dataclass(frozen=True)
class Expected:
    own_status: SubmissionStatus | None  # what the partner reads about the decided event (None: not a partner's)
    listed_registration: SubmissionStatus  # what it then reads about the business's listed registration
    audit_event: AuditEvent
    listing: str  # on the listings topic: "upsert", "tombstone" or "none"
    listed_after: bool  # in the auditors' replay and in search


EXPECTED = {
    Outcome.APPROVED: Expected(SubmissionStatus.LISTED, SubmissionStatus.LISTED, AuditEvent.GRANTED, "upsert", True),
    Outcome.REJECTED: Expected(SubmissionStatus.REJECTED, SubmissionStatus.LISTED, AuditEvent.REJECTED, "none",
                               True),
    Outcome.WITHDRAWN: Expected(SubmissionStatus.WITHDRAWN, SubmissionStatus.WITHDRAWN, AuditEvent.WITHDRAWN,
                                "tombstone", False),
    Outcome.ERASED: Expected(SubmissionStatus.ERASED, SubmissionStatus.ERASED, AuditEvent.ERASED, "tombstone", False),
    Outcome.EXPIRED: Expected(None, SubmissionStatus.EXPIRED, AuditEvent.EXPIRED, "tombstone", False),
    Outcome.UNCHANGED: Expected(SubmissionStatus.UNCHANGED, SubmissionStatus.LISTED, AuditEvent.IGNORED, "none",
                                True),
}


def test_every_outcome_has_its_expected_effects() -> None:
    assert set(EXPECTED) == set(Outcome)


def scenario(outcome: Outcome) -> tuple[events.AnyPartnerEvent, ConsentState | None]:
    """An event that leads to the outcome once the business is listed (and, for expiry, its consent is old)."""
    listed_long_ago = ConsentState("listed", NOW - VALIDITY - DAY, NOW - VALIDITY - DAY)
    scenarios: dict[Outcome, tuple[events.AnyPartnerEvent, ConsentState | None]] = {
        Outcome.APPROVED: (grant(NOW - DAY), None),
        Outcome.REJECTED: (grant(NOW - DAY, purposes=("newsletter",)), None),
        Outcome.WITHDRAWN: (withdrawal(NOW), None),
        Outcome.ERASED: (erasure(), None),
        Outcome.EXPIRED: (expiry_check(), listed_long_ago),
        Outcome.UNCHANGED: (withdrawal(NOW - 10 * DAY), None),
    }
    return scenarios[outcome]


@pytest.mark.parametrize("outcome", list(Outcome))
async def test_an_outcome_reaches_every_consumer(outcome: Outcome) -> None:
    expected = EXPECTED[outcome]
    worker, part = decider(), PartitionState(0)
    first = grant(NOW - 3 * DAY)
    outs = handle(worker, part, first)
    event, state = scenario(outcome)
    if state is not None:
        part.states[NUMBER] = state
    later = worker.handle(part, input_record(event, 1), NOW)

    [decision_out] = on(later, TOPICS.decisions)
    decision = codec.decode(events.Decision, decision_out.value)
    assert decision.outcome is outcome

    store = InMemoryRequestStore()
    for out in [*on(outs, TOPICS.decisions), decision_out]:
        await apply_decision(store, codec.decode(events.Decision, out.value))
    own = await store.get_status(str(event.event_id))
    assert (own.status if own else None) == expected.own_status
    listed = await store.get_status(str(first.event_id))
    assert listed is not None
    assert listed.status is expected.listed_registration

    audit = [codec.decode(events.AuditRecord, out.value) for out in on(outs + later, TOPICS.audit)]
    assert audit[-1].event_type is expected.audit_event
    assert audit[-1].decision is outcome
    replayed = ledger.state_at([RawRecord(0, i, codec.encode(r)) for i, r in enumerate(audit)], NOW + DAY)
    assert (NUMBER in replayed) is expected.listed_after
    row = dict(zip(cli.HISTORY_COLUMNS, cli.history_row(audit[-1]), strict=True))
    assert (row["event"], row["decision"]) == (expected.audit_event.value, outcome.value)

    assert _listing_change(on(later, TOPICS.listings)) == expected.listing
    projected = dict(_projection(on(outs + later, TOPICS.listings)))
    assert (projected.get(NUMBER) is not None) is expected.listed_after


def test_expiry_is_decided_only_when_there_is_something_to_expire() -> None:
    worker, part = decider(), PartitionState(0)
    handle(worker, part, grant(NOW - DAY))
    assert worker.handle(part, input_record(expiry_check(), 1), NOW) == []


def test_cloudevent_types_derive_from_the_partner_event_types() -> None:
    assert TYPES == {
        "be.buurt.registration.submitted.v1": EventType.REGISTRATION_SUBMITTED,
        "be.buurt.consent.withdrawn.v1": EventType.CONSENT_WITHDRAWN,
        "be.buurt.erasure.requested.v1": EventType.ERASURE_REQUESTED,
    }
    assert EventType.EXPIRY_CHECK not in PARTNER_EVENT_TYPES
    assert cloudevent_type(EventType.EXPIRY_CHECK) not in TYPES


def _listing_change(outs: list[Out]) -> str:
    if not outs:
        return "none"
    [out] = outs
    return "tombstone" if out.value is None else "upsert"


def _projection(outs: list[Out]) -> list[tuple[str, events.Listing | None]]:
    """The listing changes as the search consumer decodes them from the topic, in order, latest winning."""
    changes = []
    for offset, out in enumerate(outs):
        record = ConsumerRecord(TOPICS.listings, 0, offset, 0, 0, out.key, out.value, None, 0,
                                0 if out.value is None else len(out.value), [])
        change = consumer._change(record)
        assert change is not None
        changes.append(change)
    return changes
