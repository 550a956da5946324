import uuid
from datetime import UTC, datetime

import pytest
from stdnum.be import vat

from services.demo.cli import kafka_export_event
from services.demo.data import as_vlam, generate
from services.registration.adapters import from_vlam
from services.registration.errors import InvalidFields
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from tests.samples import fresh_enterprise_number


def test_consenting_demo_registrations_pass_intake_and_the_others_are_valid_wire_events() -> None:
    demo = generate(300)
    numbers = set()
    for item in demo:
        if "listing" in item.body["consent"]["purposes"]:
            event = build_submitted(RegistrationIn.model_validate(item.body), item.partner_id, uuid.uuid4(),
                                    datetime.now(UTC))
        else:
            with pytest.raises(InvalidFields):
                build_submitted(RegistrationIn.model_validate(item.body), item.partner_id, uuid.uuid4(),
                                datetime.now(UTC))
            event = kafka_export_event(item)
            assert event.consent is not None
            assert "listing" not in event.consent.purposes
        numbers.add(event.business.enterprise_number)
    assert len(numbers) == 300
    assert sum(1 for d in demo if "listing" not in d.body["consent"]["purposes"]) >= 20
    assert sum(1 for d in demo if d.withdraw) >= 10
    assert {d.partner_id for d in demo} >= {"unizo-winkelhier", "vlam-rechtvanbijdeboer"}


def test_marketing_board_format_round_trips_through_its_adapter() -> None:
    body = generate(1)[0].body
    assert RegistrationIn.model_validate(from_vlam(as_vlam(body))) == RegistrationIn.model_validate(body)


def test_generated_enterprise_numbers_are_valid_for_an_independent_checker() -> None:
    numbers = [fresh_enterprise_number() for _ in range(2_000)]
    assert all(vat.is_valid(n) and len(n) == 10 and n[0] == "0" for n in numbers)
    assert not vat.is_valid(numbers[0][:8] + f"{(int(numbers[0][8:]) % 97) + 1:02d}")  # another check digit fails
