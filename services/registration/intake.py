"""Pure intake: validate and normalise a partner's registration and build the canonical event."""

from datetime import datetime
from uuid import UUID

from stdnum.be import vat
from stdnum.exceptions import InvalidChecksum, ValidationError

from services.common import events
from services.registration.errors import InvalidField
from services.registration.models import RegistrationIn, WithdrawalIn


def normalise_enterprise_number(raw: str, pointer: str = "/enterprise_number") -> str:
    """'BE 0428.759.497', '0428 759 497' and '428759497' all become '0428759497'."""
    try:
        return str(vat.validate(raw))
    except InvalidChecksum:
        raise InvalidField("enterprise number has an invalid check digit", pointer) from None
    except ValidationError:
        raise InvalidField("not a Belgian enterprise number (10 digits, starting with 0 or 1)", pointer) from None


def build_submitted(reg: RegistrationIn, partner_id: str, event_id: UUID,
                    now: datetime) -> events.RegistrationSubmitted:
    business = events.Business(
        enterprise_number=normalise_enterprise_number(reg.enterprise_number),
        name=reg.name,
        address=events.Address.model_validate(reg.address.model_dump()),
        position=events.Position.model_validate(reg.position.model_dump()),
        categories=tuple(dict.fromkeys(c.lower() for c in reg.categories)),
        contact=events.PublicContact.model_validate(reg.contact.model_dump()),
    )
    consent = events.ConsentEvidence.model_validate(reg.consent.model_dump())
    return events.RegistrationSubmitted(
        event_id=event_id, partner_id=partner_id, submitted_at=now, business=business, consent=consent)


def build_withdrawn(withdrawal: WithdrawalIn, partner_id: str, event_id: UUID,
                    now: datetime) -> events.ConsentWithdrawn:
    if withdrawal.withdrawn_at > now:
        raise InvalidField("withdrawn_at lies in the future", "/withdrawn_at")
    return events.ConsentWithdrawn(
        event_id=event_id, partner_id=partner_id, submitted_at=now,
        enterprise_number=normalise_enterprise_number(withdrawal.enterprise_number),
        withdrawn_at=withdrawal.withdrawn_at)
