import pytest

from services.common import codec
from services.common.codec import DecodeError


@pytest.mark.parametrize("raw", [None, b"", b"{", b"[]", b'{"event_type": "registration.submitted"}',
                                 b'{"event_type": "nonsense"}', b"\xff\xfe"])
def test_undecodable_partner_events_raise_a_reason(raw: bytes | None) -> None:
    with pytest.raises(DecodeError) as caught:
        codec.decode_partner_event(raw)
    assert caught.value.reason


def test_decode_reasons_name_fields_but_never_echo_values() -> None:
    raw = b'{"event_type": "consent.withdrawn", "enterprise_number": "griet@example.be"}'
    with pytest.raises(DecodeError) as caught:
        codec.decode_partner_event(raw)
    assert "enterprise_number" in caught.value.reason
    assert "griet" not in caught.value.reason
