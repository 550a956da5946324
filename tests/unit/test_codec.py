import json

import pytest

from services.common import codec
from services.common.codec import DecodeError
from tests.samples import wire_registration


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


def test_a_position_beyond_the_geo_index_range_is_undecodable() -> None:
    # Decoded, it would be approved and then fail in the search index's GEOADD on every retry.
    wire = json.loads(codec.encode(wire_registration()))
    wire["business"]["position"]["lat"] = 86.0
    with pytest.raises(DecodeError) as caught:
        codec.decode_partner_event(json.dumps(wire).encode())
    assert "position" in caught.value.reason
