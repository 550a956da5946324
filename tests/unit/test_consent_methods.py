"""Only a clear affirmative act is consent: every method of the vocabulary through the HTTP intake, the partners'
adapters and the consent policy (the Kafka path's judge). The expected verdicts are written out here by hand."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.vocabulary import ConsentMethod, EventType, Outcome, Reason
from services.consent.policy import decide
from services.demo.data import as_vlam
from services.registration import adapters
from services.registration.errors import InvalidField, InvalidFields
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from tests.samples import registration_body
from tests.unit.consent_samples import NOW, PARTNER, VALIDITY, grant

AFFIRMATIVE = ["ticked-box", "signed-form", "double-opt-in", "recorded-call", "e-signature"]
NOT_CONSENT = ["pre-ticked", "opt-out", "implied", "terms-acceptance"]
UNKNOWN = ["web-form", "paper", "checkbox", "Ticked box", ""]
ALLOWED = {PARTNER: frozenset({EventType.REGISTRATION_SUBMITTED})}


def test_the_vocabulary_is_exactly_these_methods() -> None:
    assert {m.value for m in ConsentMethod} == set(AFFIRMATIVE + NOT_CONSENT)


def register(method: str, **consent: Any) -> Any:
    body = registration_body()
    body["consent"] = {**body["consent"], "method": method, **consent}
    return build_submitted(RegistrationIn.model_validate(body), PARTNER, uuid.uuid4(), datetime.now(UTC))


@pytest.mark.parametrize("method", AFFIRMATIVE)
def test_an_affirmative_method_is_accepted_and_listed(method: str) -> None:
    event = register(method)
    assert event.consent.method == method
    assert event.consent.evidence_ref == "webform-2026-004711"
    assert decide(event, None, datetime.now(UTC), ALLOWED, VALIDITY).outcome is Outcome.APPROVED


@pytest.mark.parametrize("method", NOT_CONSENT)
def test_a_method_that_is_not_consent_is_refused_with_its_reason(method: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        register(method)
    [error] = refused.value.errors
    assert (error.pointer, error.code) == ("/consent/method", "consent_not_affirmative")
    assert "affirmative" in error.detail
    verdict = decide(grant(NOW - timedelta(days=1), method=method), None, NOW, ALLOWED, VALIDITY)
    assert (verdict.outcome, verdict.reasons) == (Outcome.REJECTED, (Reason.CONSENT_NOT_AFFIRMATIVE,))


@pytest.mark.parametrize("method", UNKNOWN)
def test_an_unknown_method_is_a_422_naming_the_field_and_rejected_on_kafka(method: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RegistrationIn.model_validate({**registration_body(), "consent": {**registration_body()["consent"],
                                                                           "method": method}})
    assert [e["loc"] for e in refused.value.errors()] == [("consent", "method")]
    expected = Reason.COLLECTION_METHOD_MISSING if not method else Reason.CONSENT_METHOD_UNKNOWN
    verdict = decide(grant(NOW - timedelta(days=1), method=method), None, NOW, ALLOWED, VALIDITY)
    assert (verdict.outcome, verdict.reasons) == (Outcome.REJECTED, (expected,))


def test_consent_without_a_reference_to_the_partners_evidence_is_refused() -> None:
    body = registration_body()
    del body["consent"]["evidence_ref"]
    with pytest.raises(ValidationError) as refused:
        RegistrationIn.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("consent", "evidence_ref")]
    verdict = decide(grant(NOW - timedelta(days=1), evidence_ref=None), None, NOW, ALLOWED, VALIDITY)
    assert verdict.reasons == (Reason.EVIDENCE_REFERENCE_MISSING,)


@pytest.mark.parametrize(("code", "method"), [
    ("aangevinkt", "ticked-box"), ("ondertekend-formulier", "signed-form"), ("dubbele-opt-in", "double-opt-in"),
    ("telefonisch-opgenomen", "recorded-call"), ("e-handtekening", "e-signature"),
    ("vooraf-aangevinkt", "pre-ticked"), ("geen-bezwaar", "opt-out"), ("stilzwijgend", "implied"),
    ("algemene-voorwaarden", "terms-acceptance"), ("AANGEVINKT", "ticked-box"),
])
def test_the_marketing_boards_codes_map_onto_the_vocabulary(code: str, method: str) -> None:
    record = as_vlam(registration_body())
    record["toestemming"]["methode"] = code
    assert adapters.from_vlam(record)["consent"]["method"] == method


@pytest.mark.parametrize("code", ["web-form", "ja", "x", 3])
def test_an_unknown_code_of_the_board_is_a_422_naming_its_field(code: Any) -> None:
    record = as_vlam(registration_body())
    record["toestemming"]["methode"] = code
    with pytest.raises(InvalidField) as refused:
        adapters.from_vlam(record)
    assert refused.value.errors[0].pointer == "/toestemming/methode"


@pytest.mark.parametrize(("cell", "method"), [
    ("ticked-box", "ticked-box"), ("Zelf aangevinkt", "ticked-box"), ("case cochée", "ticked-box"),
    ("ONDERTEKEND FORMULIER", "signed-form"), ("formulaire signé", "signed-form"),
    ("bevestigd per e-mail", "double-opt-in"), ("appel enregistré", "recorded-call"),
    ("vooraf aangevinkt", "pre-ticked"), ("tacite", "implied"), ("paper", "paper"),
])
def test_spreadsheet_cells_in_dutch_or_french_map_onto_the_vocabulary(cell: str, method: str) -> None:
    assert adapters.csv_method(cell) == method
