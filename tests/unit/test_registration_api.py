"""The registration API over an in-memory publisher: status codes and problem+json bodies."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.common import codec, events
from services.registration.config import Settings
from services.registration.main import create_app
from services.registration.publisher import InMemoryPublisher
from tests.samples import AUTH, registration_body


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def client(publisher: InMemoryPublisher) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(topic_prefix="unit."), publisher)) as test_client:
        yield test_client


def test_accepted_registration_is_published_keyed_by_enterprise_number(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    response = client.post("/v1/registrations", json=registration_body("BE 0428.759.497"), headers=AUTH)
    assert response.status_code == 202
    [(topic, key, value)] = publisher.records
    assert (topic, key) == ("unit.registrations.submitted", b"0428759497")
    event = codec.decode(events.RegistrationSubmitted, value)
    assert str(event.event_id) == response.json()["id"]
    assert event.partner_id == "unizo-winkelhier"


def test_missing_api_key_is_401_problem(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_body())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unauthenticated"


def test_unknown_api_key_is_401(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_body(), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_bad_check_digit_is_422_naming_the_field(client: TestClient, publisher: InMemoryPublisher) -> None:
    response = client.post("/v1/registrations", json=registration_body("0428759498"), headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {"pointer": "/enterprise_number", "detail": "enterprise number has an invalid check digit"}]
    assert publisher.records == []


def test_unknown_and_missing_fields_are_422_with_json_pointers(client: TestClient) -> None:
    body = registration_body()
    body["address"]["colour"] = "blue"
    del body["consent"]["notice_version"]
    response = client.post("/v1/registrations", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/address/colour", "/consent/notice_version"}


def test_position_outside_belgium_is_422(client: TestClient) -> None:
    response = client.post("/v1/registrations", json=registration_body(position={"lat": 48.85, "lon": 2.35}),
                           headers=AUTH)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/position/lat"


def test_broker_down_is_503_with_retry_after(client: TestClient, publisher: InMemoryPublisher) -> None:
    publisher.down = True
    response = client.post("/v1/registrations", json=registration_body(), headers=AUTH)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"] == "/problems/unavailable"


def test_withdrawal_is_published_on_the_same_topic_and_key(client: TestClient, publisher: InMemoryPublisher) -> None:
    response = client.post("/v1/withdrawals", headers=AUTH,
                           json={"enterprise_number": "0428 759 497", "withdrawn_at": "2026-01-01T10:00:00+01:00"})
    assert response.status_code == 202
    [(_topic, key, value)] = publisher.records
    assert key == b"0428759497"
    assert isinstance(codec.decode_partner_event(value), events.ConsentWithdrawn)
