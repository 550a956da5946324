"""Property-based fuzzing (hypothesis) of the pure parsers: whatever arrives, they either return a well-formed
value or raise the module's own error (which the API turns into a 4xx problem) — never anything else."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.be import vat

from services.common import codec
from services.common.codec import DecodeError
from services.common.partners import SEEDED_PARTNERS
from services.registration import adapters, cloudevents_in, spreadsheet, validation
from services.registration.errors import RegistrationError
from services.registration.models import RegistrationIn
from services.registration.partners import PartnerRegistry
from services.search.text import query_tokens

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
                           max_leaves=30)


@FUZZ
@given(st.text(max_size=40) | st.from_regex(r"(BE)? ?[01]\d{3}[ .]?\d{3}[ .]?\d{3}", fullmatch=True))
def test_enterprise_numbers_are_normalised_valid_or_refused(raw: str) -> None:
    try:
        number = validation.enterprise_number(raw)
    except RegistrationError as exc:
        assert_refused(exc, "/enterprise_number")
        assert not vat.is_valid(raw)
    else:
        assert len(number) == 10
        assert number.isdigit()
        assert number[0] in "01"
        assert vat.is_valid(number)


@FUZZ
@given(st.sampled_from("01"), st.integers(min_value=1, max_value=10**7 - 1))
def test_every_enterprise_number_with_its_check_digits_is_accepted_in_every_spelling(first: str, rest: int) -> None:
    head = f"{first}{rest:07d}"
    number = f"{head}{97 - int(head) % 97:02d}"  # the mod-97 rule, written out independently of the code under test
    a, b, c = number[:4], number[4:7], number[7:]
    spellings = [number, f"BE{number}", f"BE {a}.{b}.{c}", f"be {a} {b} {c}", f"{a}.{b}.{c}", f"{a}-{b}-{c}"]
    if first == "0":  # the old nine-digit form
        spellings += [number[1:], f"(0){number[1:]}"]
    assert {validation.enterprise_number(spelled) for spelled in spellings} == {number}


@FUZZ
@given(st.dictionaries(st.text(max_size=20), json_values, max_size=12))
def test_the_vlam_adapter_maps_any_object_without_crashing(record: dict[str, Any]) -> None:
    try:
        mapped = adapters.from_vlam(record)
    except RegistrationError as exc:
        assert_refused(exc)
    else:
        assert isinstance(mapped, dict)
        assert set(mapped) <= set(RegistrationIn.model_fields)


@FUZZ
@given(st.text(max_size=400).map(str.encode) | st.binary(max_size=400), st.sampled_from([None, "windows-1252"]))
def test_csv_parsing_returns_rows_of_text_or_refuses(body: bytes, charset: str | None) -> None:
    try:
        rows = adapters.check_sheet(spreadsheet.read_csv(body, charset))
    except RegistrationError as exc:
        assert_refused(exc)
        return
    assert all(isinstance(value, str | None) for row in rows for value in row.values())
    assert all(set(row) <= set(adapters.CSV_COLUMNS) | {None, ""} for row in rows)
    for row in rows:
        try:
            assert isinstance(adapters.from_csv_row(row), dict)
        except RegistrationError as exc:
            assert_refused(exc)


@FUZZ
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_cloudevents_envelopes_parse_or_are_refused(raw: bytes) -> None:
    partner = PartnerRegistry.from_file(SEEDED_PARTNERS).get("unizo-winkelhier")
    assert partner is not None
    try:
        event = cloudevents_in.for_partner(cloudevents_in.parse_structured(raw), partner)
    except RegistrationError as exc:
        assert_refused(exc)
    else:
        assert event.event_type in cloudevents_in.TYPES.values()
        assert event.id


@FUZZ
@given(json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=300))
def test_the_consent_workers_decoder_decodes_or_names_a_reason(raw: bytes) -> None:
    reason = None
    try:
        codec.decode_partner_event(raw)
    except DecodeError as exc:
        reason = exc.reason
    assert reason is None or reason.strip()


@FUZZ
@given(st.text(max_size=200) | st.none())
def test_search_words_are_folded_lowercase_tokens(q: str | None) -> None:
    words = query_tokens(q)
    assert all(word and word == word.lower() and " " not in word for word in words)


def assert_refused(error: RegistrationError, pointer: str | None = None) -> None:
    """A refusal the API turns into a 4xx problem naming what is wrong."""
    assert 400 <= error.status < 500
    assert error.detail
    if pointer is not None:
        assert [e.pointer for e in error.errors] == [pointer]
