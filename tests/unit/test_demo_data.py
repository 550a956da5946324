import uuid
from datetime import UTC, datetime

from services.demo.data import generate
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn


def test_every_demo_registration_passes_intake_and_some_lack_consent_or_withdraw() -> None:
    demo = generate(300)
    numbers = set()
    for item in demo:
        event = build_submitted(RegistrationIn.model_validate(item.body), item.partner_id, uuid.uuid4(),
                                datetime.now(UTC))
        numbers.add(event.business.enterprise_number)
    assert len(numbers) == 300
    assert sum(1 for d in demo if "listing" not in d.body["consent"]["purposes"]) >= 20
    assert sum(1 for d in demo if d.withdraw) >= 10
    assert {d.partner_id for d in demo} >= {"unizo-winkelhier", "vlam-rechtvanbijdeboer"}
