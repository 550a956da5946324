import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.registration.errors import InvalidField
from services.registration.intake import build_submitted, build_withdrawn
from services.registration.models import RegistrationIn, WithdrawalIn
from services.registration.validation import enterprise_number as normalise_enterprise_number
from tests.samples import registration_body


@pytest.mark.parametrize("spelling", ["BE 0428.759.497", "0428 759 497", "428759497", "BE0428759497"])
def test_common_spellings_of_an_enterprise_number_normalise_to_ten_digits(spelling: str) -> None:
    assert normalise_enterprise_number(spelling) == "0428759497"


def test_a_bad_check_digit_is_rejected_with_a_message_that_says_so() -> None:
    with pytest.raises(InvalidField) as caught:
        normalise_enterprise_number("0428.759.498")
    assert "check digit" in caught.value.detail
    assert caught.value.errors[0].pointer == "/enterprise_number"


def test_garbage_is_not_an_enterprise_number() -> None:
    with pytest.raises(InvalidField, match="not a Belgian enterprise number"):
        normalise_enterprise_number("hello")


def test_registration_becomes_a_canonical_event_keyed_by_the_normalised_number() -> None:
    body = registration_body("BE 0428.759.497")
    body["categories"] = ["Hoeveproducten", "hoeveproducten", "streekproducten"]
    event = build_submitted(RegistrationIn.model_validate(body), "unizo-winkelhier", uuid.uuid4(), datetime.now(UTC))
    assert event.business.enterprise_number == "0428759497"
    assert event.business.categories == ("hoeveproducten", "streekproducten")
    assert event.consent is not None
    assert event.consent.purposes == ("listing",)


def test_a_withdrawal_dated_in_the_future_is_refused() -> None:
    now = datetime.now(UTC)
    withdrawal = WithdrawalIn(enterprise_number="0428759497", withdrawn_at=now + timedelta(hours=1))
    with pytest.raises(InvalidField, match="future"):
        build_withdrawn(withdrawal, "unizo-winkelhier", uuid.uuid4(), now)
