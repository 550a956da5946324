import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.common import events
from services.consent import audit
from services.consent.policy import decide
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from tests.samples import registration_body

NOW = datetime.now(UTC)


def submitted(**consent_changes: object) -> events.RegistrationSubmitted:
    event = build_submitted(RegistrationIn.model_validate(registration_body()), "unizo-winkelhier", uuid.uuid4(), NOW)
    assert event.consent is not None
    return event.model_copy(update={"consent": event.consent.model_copy(update=consent_changes)})


@pytest.mark.parametrize(("event", "outcome", "reasons"), [
    (submitted(), "approved", ("explicit_consent_listing",)),
    (submitted(purposes=("newsletter",)), "rejected", ("purpose_listing_missing",)),
    (submitted().model_copy(update={"consent": None}), "rejected", ("consent_missing",)),
    (submitted(purposes=(), method=""), "rejected", ("purpose_listing_missing", "collection_method_missing")),
    (submitted(notice_version="1999-01"), "rejected", ("notice_version_unknown",)),
    (submitted(given_at=NOW + timedelta(days=1)), "rejected", ("consent_in_future",)),
    (events.ConsentWithdrawn(event_id=uuid.uuid4(), partner_id="p", submitted_at=NOW,
                             enterprise_number="0428759497", withdrawn_at=NOW), "withdrawn", ("consent_withdrawn",)),
    (events.ErasureRequested(event_id=uuid.uuid4(), partner_id="p", submitted_at=NOW,
                             enterprise_number="0428759497", requested_at=NOW), "erased", ("erasure_requested",)),
])
def test_policy_decides_with_reason_codes(event: events.RegistrationSubmitted, outcome: str,
                                          reasons: tuple[str, ...]) -> None:
    verdict = decide(event, NOW)
    assert (verdict.outcome, verdict.reasons) == (outcome, reasons)


def test_audit_record_chains_to_its_predecessor_and_holds_no_personal_data() -> None:
    event = submitted()
    first = audit.record_for(event, decide(event, NOW), 3, 0, audit.GENESIS_HASH, NOW)
    second = audit.record_for(event, decide(event, NOW), 3, 1, first.hash, NOW)
    assert second.prev_hash == first.hash
    assert audit.chain_hash(first) == first.hash
    wire = first.model_dump_json()
    assert "griet" not in wire.lower()
    assert "@" not in wire


def test_altering_any_field_breaks_the_hash() -> None:
    event = submitted()
    record = audit.record_for(event, decide(event, NOW), 0, 0, audit.GENESIS_HASH, NOW)
    forged = record.model_copy(update={"decision": "rejected"})
    assert audit.chain_hash(forged) != record.hash
