"""Pure intake: validate and normalise what a partner sent and build the canonical event; raises domain errors."""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from services.common import events
from services.common.consent_rules import consent_findings
from services.registration import validation
from services.registration.errors import FieldError, InvalidField, InvalidFields
from services.registration.models import ConsentIn, ContactIn, ErasureIn, RegistrationIn, WithdrawalIn

T = TypeVar("T")


class _Checks:
    """Runs field checks and collects every failure, so one 422 names all the bad fields."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, check: Callable[..., T], *args: object) -> T | None:
        try:
            return check(*args)
        except InvalidField as exc:
            self.errors.extend(exc.errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


def build_submitted(reg: RegistrationIn, partner_id: str, event_id: UUID, now: datetime,
                    max_km_from_postcode: float = validation.MAX_KM_FROM_POSTCODE) -> events.RegistrationSubmitted:
    checks = _Checks()
    number = checks.run(validation.enterprise_number, reg.enterprise_number)
    unit = checks.run(validation.establishment_unit, reg.establishment_unit) if reg.establishment_unit else None
    place = checks.run(validation.place, reg.address.postcode, reg.address.municipality)
    if reg.position is not None:
        checks.run(validation.position, place, reg.position.lat, reg.position.lon, max_km_from_postcode)
    categories = checks.run(validation.categories, reg.categories)
    contact = checks.run(_contact, reg.contact)
    consent = checks.run(_consent, reg.consent, now)
    checks.raise_if_any()
    # raise_if_any() raised unless every check returned a value; the asserts only narrow the types
    assert number is not None
    assert place is not None
    assert categories is not None
    assert contact is not None
    assert consent is not None
    position = reg.position or place  # the locality's position when the partner sent none
    business = events.Business(
        enterprise_number=number, establishment_unit=unit, name=reg.name,
        address=events.Address(street=reg.address.street, number=reg.address.number, postcode=place.postcode,
                               municipality=place.municipality.spelled_as(reg.address.municipality),
                               locality=place.spelled_as(reg.address.municipality)),
        position=events.Position(lat=position.lat, lon=position.lon), categories=categories, contact=contact,
        channels=events.Channels.model_validate(reg.channels.model_dump(mode="json")),
    )
    verification = (events.Verification.model_validate(reg.verification.model_dump())
                    if reg.verification else None)
    return events.RegistrationSubmitted(event_id=event_id, partner_id=partner_id, submitted_at=now,
                                        business=business, consent=consent, verification=verification)


def _contact(contact: ContactIn) -> events.PublicContact:
    checks = _Checks()
    phone = checks.run(validation.phone, contact.phone) if contact.phone else None
    email = checks.run(validation.email, contact.email, "/contact/email") if contact.email else None
    checks.raise_if_any()
    return events.PublicContact(phone=phone, email=email, website=str(contact.website) if contact.website else None)


def _consent(consent: ConsentIn, now: datetime) -> events.ConsentEvidence:
    checks = _Checks()
    email = checks.run(validation.email, consent.person.email, "/consent/person/email")
    checks.raise_if_any()
    evidence = events.ConsentEvidence(
        purposes=tuple(p.lower() for p in consent.purposes), given_at=consent.given_at,
        notice_version=consent.notice_version, method=consent.method.value, language=consent.language,
        evidence_ref=consent.evidence_ref,
        person=events.ConsentingPerson(name=consent.person.name, email=str(email), role=consent.person.role),
    )
    findings = consent_findings(evidence, now)
    if findings:
        raise InvalidFields([FieldError(f.pointer, f.message, f.code.value) for f in findings])
    return evidence


def build_withdrawn(withdrawal: WithdrawalIn, partner_id: str, event_id: UUID,
                    now: datetime) -> events.ConsentWithdrawn:
    if withdrawal.withdrawn_at > now:
        raise InvalidField("withdrawn_at lies in the future", "/withdrawn_at")
    return events.ConsentWithdrawn(
        event_id=event_id, partner_id=partner_id, submitted_at=now,
        enterprise_number=validation.enterprise_number(withdrawal.enterprise_number),
        withdrawn_at=withdrawal.withdrawn_at)


def build_erasure(erasure: ErasureIn, partner_id: str, event_id: UUID, now: datetime) -> events.ErasureRequested:
    if erasure.requested_at > now:
        raise InvalidField("requested_at lies in the future", "/requested_at")
    return events.ErasureRequested(
        event_id=event_id, partner_id=partner_id, submitted_at=now,
        enterprise_number=validation.enterprise_number(erasure.enterprise_number),
        requested_at=erasure.requested_at)
