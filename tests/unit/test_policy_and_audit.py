import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common import events
from services.common.vocabulary import PARTNER_EVENT_TYPES, EventType, Outcome, Reason
from services.consent import audit, crypto
from services.consent.policy import ConsentState, decide
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from tests.samples import KBO_CONFIRMED, registration_body

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
VALIDITY = timedelta(days=730)
ALLOWED = {"unizo-winkelhier": frozenset(PARTNER_EVENT_TYPES),
           "gemeenten": frozenset({EventType.REGISTRATION_SUBMITTED, EventType.CONSENT_WITHDRAWN})}
NUMBER = "0428759497"
FORWARDED_BY_UNIZO = frozenset({"unizo-winkelhier"})


def grant(given_at: datetime = NOW - 3 * DAY, partner: str = "unizo-winkelhier",
          **consent_changes: object) -> events.RegistrationSubmitted:
    event = build_submitted(RegistrationIn.model_validate(registration_body(NUMBER)), partner, uuid.uuid4(), NOW)
    assert event.consent is not None
    consent = event.consent.model_copy(update={"given_at": given_at, **consent_changes})
    return event.model_copy(update={"consent": consent, "kbo": KBO_CONFIRMED})


def withdrawal(at: datetime, partner: str = "unizo-winkelhier") -> events.ConsentWithdrawn:
    return events.ConsentWithdrawn(event_id=uuid.uuid4(), partner_id=partner, submitted_at=NOW,
                                   enterprise_number=NUMBER, withdrawn_at=at)


def erasure(partner: str = "unizo-winkelhier") -> events.ErasureRequested:
    return events.ErasureRequested(event_id=uuid.uuid4(), partner_id=partner, submitted_at=NOW,
                                   enterprise_number=NUMBER, requested_at=NOW)


def expiry_check() -> events.ExpiryCheck:
    return events.ExpiryCheck(event_id=uuid.uuid4(), submitted_at=NOW, enterprise_number=NUMBER)


LISTED = ConsentState("listed", NOW - 3 * DAY, NOW - 3 * DAY)
WITHDRAWN_YESTERDAY = ConsentState("unlisted", NOW - DAY)


@pytest.mark.parametrize(("event", "state", "outcome", "reasons", "listed_after"), [
    # explicit consent for the purpose "listing", complete evidence
    (grant(), None, "approved", ("explicit_consent_listing",), True),
    (grant(purposes=("newsletter",)), None, "rejected", ("purpose_listing_missing",), None),
    (grant().model_copy(update={"consent": None}), None, "rejected", ("consent_missing",), None),
    (grant(purposes=(), method=""), None, "rejected", ("purpose_listing_missing", "collection_method_missing"), None),
    (grant(notice_version="1999-01"), None, "rejected", ("notice_version_unknown",), None),
    (grant(given_at=NOW + DAY), None, "rejected", ("consent_in_future",), None),
    (grant(partner="unknown-partner"), None, "rejected", ("partner_not_allowed",), None),
    (erasure(partner="gemeenten"), LISTED, "rejected", ("partner_not_allowed",), None),
    (erasure(partner="platform-admin"), LISTED, "erased", ("erasure_requested",), False),
    # event time decides, not arrival order
    (withdrawal(NOW - DAY), LISTED, "withdrawn", ("consent_withdrawn",), False),
    (grant(given_at=NOW - 2 * DAY), WITHDRAWN_YESTERDAY, "rejected", ("superseded_by_later_withdrawal",), None),
    (grant(given_at=NOW - DAY / 2), WITHDRAWN_YESTERDAY, "approved", ("explicit_consent_listing",), True),
    (withdrawal(NOW - 5 * DAY), LISTED, "unchanged", ("withdrawal_predates_current_consent",), None),
    # expiry after the validity period without renewal
    (grant(given_at=NOW - VALIDITY - DAY), None, "rejected", ("consent_expired",), None),
    (expiry_check(), ConsentState("listed", NOW - VALIDITY - DAY, NOW - VALIDITY - DAY), "expired",
     ("consent_expired",), False),
    (expiry_check(), LISTED, "unchanged", ("consent_current",), None),
    (erasure(), None, "erased", ("erasure_requested",), False),
])
def test_policy_decides_by_event_time_with_reason_codes(
        event: events.AnyPartnerEvent, state: ConsentState | None, outcome: str, reasons: tuple[str, ...],
        listed_after: bool | None) -> None:
    verdict = decide(event, state, NOW, ALLOWED, VALIDITY, FORWARDED_BY_UNIZO)
    assert (verdict.outcome, verdict.reasons) == (outcome, reasons)
    assert (None if verdict.state is None else verdict.listed) == listed_after


def test_a_late_grant_cannot_relist_after_erasure() -> None:
    erased = decide(erasure(), LISTED, NOW, ALLOWED, VALIDITY, FORWARDED_BY_UNIZO).state
    assert decide(grant(given_at=NOW - DAY), erased, NOW, ALLOWED, VALIDITY).outcome == "rejected"


@pytest.mark.parametrize(("event", "forwarders", "outcome", "reasons"), [
    # only a partner that forwarded the business, or the platform's operator, may end its listing
    (withdrawal(NOW - DAY), frozenset({"unizo-winkelhier"}), "withdrawn", ("consent_withdrawn",)),
    (withdrawal(NOW - DAY, partner="gemeenten"), frozenset({"unizo-winkelhier"}), "rejected",
     ("partner_not_entitled",)),
    (withdrawal(NOW - DAY), frozenset(), "rejected", ("partner_not_entitled",)),
    (withdrawal(NOW - DAY, partner="platform-admin"), frozenset(), "withdrawn", ("consent_withdrawn",)),
    (erasure(), frozenset({"gemeenten"}), "rejected", ("partner_not_entitled",)),
    (erasure(partner="platform-admin"), frozenset(), "erased", ("erasure_requested",)),
    (events.RequestRefused(event_id=uuid.uuid4(), partner_id="gemeenten", submitted_at=NOW, enterprise_number=NUMBER,
                           requested=EventType.CONSENT_WITHDRAWN, reason=Reason.PARTNER_NOT_ENTITLED),
     frozenset({"unizo-winkelhier"}), "rejected", ("partner_not_entitled",)),
])
def test_only_a_forwarding_partner_or_the_operator_may_end_a_listing(
        event: events.AnyPartnerEvent, forwarders: frozenset[str], outcome: str, reasons: tuple[str, ...]) -> None:
    verdict = decide(event, LISTED, NOW, ALLOWED, VALIDITY, forwarders)
    assert (verdict.outcome, verdict.reasons) == (outcome, reasons)
    assert (verdict.state is None) is (outcome == "rejected")


def kbo(*findings: Reason, extract: int | None = 140) -> events.KboCheck:
    return events.KboCheck(extract_number=extract, snapshot_date=date(2026, 11, 1) if extract else None,
                           findings=findings)


@pytest.mark.parametrize(("check", "unverified_lists", "outcome", "reasons"), [
    (kbo(), True, "approved", ("explicit_consent_listing",)),
    (kbo(Reason.KBO_NOT_ACTIVE), True, "rejected", ("kbo_not_active",)),
    (kbo(Reason.ADDRESS_UNVERIFIED, Reason.ACTIVITY_UNCONFIRMED), True, "approved",
     ("explicit_consent_listing", "address_unverified", "activity_unconfirmed")),
    (kbo(Reason.KBO_UNVERIFIED, extract=None), True, "approved", ("explicit_consent_listing", "kbo_unverified")),
    (kbo(Reason.KBO_UNVERIFIED, extract=None), False, "rejected", ("kbo_unverified",)),
    (None, True, "approved", ("explicit_consent_listing", "kbo_unverified")),  # published before the check existed
])
def test_the_kbo_findings_decide_with_the_consent(check: events.KboCheck | None, unverified_lists: bool,
                                                  outcome: str, reasons: tuple[str, ...]) -> None:
    event = grant().model_copy(update={"kbo": check})
    verdict = decide(event, None, NOW, ALLOWED, VALIDITY, unverified_lists=unverified_lists)
    assert (verdict.outcome, verdict.reasons) == (outcome, reasons)


def test_the_audit_record_names_the_kbo_snapshot_and_its_hash_covers_it() -> None:
    event = grant().model_copy(update={"kbo": kbo(Reason.ADDRESS_UNVERIFIED)})
    record = audit.record_for(event, decide(event, None, NOW, ALLOWED, VALIDITY), 0, 0, audit.GENESIS_HASH, NOW)
    assert (record.schema_version, record.kbo_extract, record.kbo_snapshot_date) == (3, 140, date(2026, 11, 1))
    assert audit.chain_hash(record) == record.hash
    assert audit.chain_hash(record.model_copy(update={"kbo_extract": 141})) != record.hash


def test_audit_record_chains_and_holds_personal_data_only_encrypted() -> None:
    event = grant()
    key = crypto.new_data_key()
    verdict = decide(event, None, NOW, ALLOWED, VALIDITY)
    sealed = audit.sealed_person(event, audit.person_of(event, {}), key)
    first = audit.record_for(event, verdict, 3, 0, audit.GENESIS_HASH, NOW, sealed)
    second = audit.record_for(event, verdict, 3, 1, first.hash, NOW)
    assert second.prev_hash == first.hash
    assert audit.chain_hash(first) == first.hash
    wire = first.model_dump_json()
    assert "griet" not in wire.lower()
    assert first.subject_pii is not None
    person = crypto.open_sealed(key, NUMBER, first.subject_pii)
    assert b"griet.vermeulen@example.be" in person
    with pytest.raises(crypto.CryptoError):
        crypto.open_sealed(crypto.new_data_key(), NUMBER, first.subject_pii)


def test_altering_any_field_breaks_the_hash() -> None:
    event = grant()
    record = audit.record_for(event, decide(event, None, NOW, ALLOWED, VALIDITY), 0, 0, audit.GENESIS_HASH, NOW)
    forged = record.model_copy(update={"decision": Outcome.REJECTED})
    assert audit.chain_hash(forged) != record.hash


def test_wrapped_data_key_opens_only_with_the_master_key() -> None:
    master, _ = crypto.generate_secrets()
    other, _ = crypto.generate_secrets()
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(crypto.unb64(master), data_key)
    assert crypto.unwrap(crypto.unb64(master), wrapped) == data_key
    with pytest.raises(crypto.CryptoError):
        crypto.unwrap(crypto.unb64(other), wrapped)
