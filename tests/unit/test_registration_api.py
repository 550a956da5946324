"""The registration API over in-memory fakes (publisher, request store): every error class, status and body."""

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.common import codec, events, sealing
from services.common.events import Business, KboCheck
from services.demo.data import as_vlam
from services.registration import examples
from services.registration.config import Settings
from services.registration.errors import StoreUnavailable
from services.registration.kbo_check import KboRestoring
from services.registration.main import create_app
from tests.fakes import InMemoryPublisher, InMemoryRequestStore, KboSnapshotOf
from tests.samples import SPELLINGS, fresh_enterprise_number, registration_body, signed

ADMIN_TOKEN = "dpo-admin-token"


def retry_time() -> int:
    """A retry is signed anew: the same request, another timestamp (within the ±5 minute window), another signature.
    A second later than now, so never the timestamp an earlier request of the test was signed with."""
    return int(time.time()) + 1



INTAKE_PRIVATE, INTAKE_PUBLIC = sealing.generate()

@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def store() -> InMemoryRequestStore:
    return InMemoryRequestStore()


@pytest.fixture
def client(publisher: InMemoryPublisher, store: InMemoryRequestStore) -> Iterator[TestClient]:
    settings = Settings(topic_prefix="unit.", consume_decisions=False, consume_ingress=False, rate_limit_per_minute=50,
                        intake_public_key=INTAKE_PUBLIC,
                        admin_token_sha256=hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest())
    with TestClient(create_app(settings, publisher, store, KboSnapshotOf())) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: Any, partner: str = "unizo-winkelhier",
         content_type: str = "application/json", headers: dict[str, str] | None = None, **sign: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=raw, headers={**signed("POST", path, raw, partner, content_type, **sign),
                                                   **(headers or {})})


def assert_problem(response: Any, status: int, pointer: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if pointer is not None:
        assert pointer in {e["pointer"] for e in body["errors"]}, body
    return body


# --- accepted ---------------------------------------------------------------------------------------------------

def test_accepted_registration_is_published_keyed_by_enterprise_number(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    response = post(client, "/v1/registrations", registration_body("BE 0428.759.497"))
    assert response.status_code == 202
    [(topic, key, value)] = publisher.records
    assert (topic, key) == ("unit.registrations.submitted", b"0428759497")
    event = codec.decode(events.RegistrationSubmitted, value)
    assert str(event.event_id) == response.json()["id"]
    assert event.partner_id == "unizo-winkelhier"
    assert event.business.contact.phone == "+3292234567"
    # the consenting person only sealed to the consent worker's intake key, never in clear
    assert b"Griet" not in value
    assert b"griet.vermeulen@example.be" not in value
    assert event.consent is not None
    assert event.consent.person is None
    assert event.consent.person_sealed is not None
    opened = sealing.open_sealed(sealing.private_keys(INTAKE_PRIVATE), "0428759497", event.consent.person_sealed)
    assert json.loads(opened)["email"] == "griet.vermeulen@example.be"


def test_position_is_derived_from_the_postcode_when_absent(client: TestClient, publisher: InMemoryPublisher) -> None:
    body = registration_body()
    del body["position"]
    assert post(client, "/v1/registrations", body).status_code == 202
    event = codec.decode(events.RegistrationSubmitted, publisher.records[0][2])
    assert event.business.position.lat == pytest.approx(51.04, abs=0.01)


def test_marketing_board_posts_its_own_dutch_format(client: TestClient, publisher: InMemoryPublisher) -> None:
    response = post(client, "/v1/registrations", as_vlam({**registration_body(), "contact": {}}),
                    partner="vlam-lekkervanbijons")
    assert response.status_code == 202, response.text
    event = codec.decode(events.RegistrationSubmitted, publisher.records[0][2])
    assert event.business.name == "Hoeve De Linde"
    assert event.partner_id == "vlam-lekkervanbijons"


def test_status_is_visible_to_the_submitting_partner_only(client: TestClient) -> None:
    event_id = post(client, "/v1/registrations", registration_body()).json()["id"]
    path = f"/v1/registrations/{event_id}"
    own = client.get(path, headers=signed("GET", path, b""))
    assert own.status_code == 200
    assert own.json()["status"] == "received"
    other = client.get(path, headers=signed("GET", path, b"", partner="gemeenten"))
    assert_problem(other, 404)


def test_json_schemas_are_served(client: TestClient) -> None:
    response = client.get("/v1/schemas/registration")
    assert response.status_code == 200
    assert "enterprise_number" in response.json()["properties"]
    assert_problem(client.get("/v1/schemas/nope"), 404)


# --- authentication ---------------------------------------------------------------------------------------------

def test_missing_api_key_is_401(client: TestClient) -> None:
    assert_problem(client.post("/v1/registrations", json=registration_body()), 401)


def test_unknown_api_key_is_401(client: TestClient) -> None:
    raw = json.dumps(registration_body()).encode()
    headers = {**signed("POST", "/v1/registrations", raw), "Authorization": "Bearer nope"}
    assert_problem(client.post("/v1/registrations", content=raw, headers=headers), 401)


def test_missing_signature_is_401(client: TestClient) -> None:
    raw = json.dumps(registration_body()).encode()
    headers = {"Authorization": "Bearer demo-unizo-winkelhier", "Content-Type": "application/json"}
    body = assert_problem(client.post("/v1/registrations", content=raw, headers=headers), 401)
    assert "X-Buurt-Signature".lower() in body["detail"].lower()


def test_wrong_signature_is_401(client: TestClient) -> None:
    raw = json.dumps(registration_body()).encode()
    headers = signed("POST", "/v1/registrations", raw + b" ")  # signed another body
    body = assert_problem(client.post("/v1/registrations", content=raw, headers=headers), 401)
    assert "does not match" in body["detail"]


def test_expired_signature_is_401(client: TestClient) -> None:
    body = assert_problem(post(client, "/v1/registrations", registration_body(), timestamp=int(time.time()) - 600),
                          401)
    assert "minutes" in body["detail"]


def test_replayed_request_is_401(client: TestClient, publisher: InMemoryPublisher) -> None:
    raw = json.dumps(registration_body()).encode()
    headers = signed("POST", "/v1/registrations", raw)
    assert client.post("/v1/registrations", content=raw, headers=headers).status_code == 202
    body = assert_problem(client.post("/v1/registrations", content=raw, headers=headers), 401)
    assert "replayed" in body["detail"]
    assert len(publisher.records) == 1


def test_partner_cannot_upload_as_another_partner(client: TestClient) -> None:
    assert_problem(post(client, "/v1/partners/gemeenten/uploads", b"x", content_type="text/csv"), 403)


def test_partner_cannot_send_event_types_it_is_not_allowed(client: TestClient) -> None:
    body = {"enterprise_number": "0428759497", "requested_at": "2026-01-01T10:00:00+01:00"}
    assert_problem(post(client, "/v1/erasure-requests", body, partner="gemeenten"), 403)


def test_cloudevent_with_another_partner_as_source_is_403(client: TestClient) -> None:
    event = cloudevent("be.buurt.consent.withdrawn.v1", withdrawal_data(), source="/partners/gemeenten")
    assert_problem(post(client, "/v1/events", event, content_type="application/cloudevents+json"), 403)


def test_admin_token_may_request_erasure_without_partner_credentials(client: TestClient,
                                                                     publisher: InMemoryPublisher) -> None:
    body = {"enterprise_number": "0428759497", "requested_at": "2026-01-01T10:00:00+01:00"}
    response = client.post("/v1/erasure-requests", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 202
    event = codec.decode_partner_event(publisher.records[0][2])
    assert isinstance(event, events.ErasureRequested)
    assert event.partner_id == "platform-admin"


# --- validation -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "pointer"), [
    (lambda b: b.update(enterprise_number="0428759498"), "/enterprise_number"),
    (lambda b: b.update(establishment_unit="2123456789"), "/establishment_unit"),
    (lambda b: b["address"].update(postcode="9999"), "/address/postcode"),
    (lambda b: b["address"].update(municipality="Antwerpen"), "/address/municipality"),
    (lambda b: b.update(position={"lat": 48.85, "lon": 2.35}), "/position/lat"),
    (lambda b: b.update(categories=["weapons"]), "/categories/0"),
    (lambda b: b["contact"].update(phone="12"), "/contact/phone"),
    (lambda b: b["contact"].update(email="not-an-email"), "/contact/email"),
    (lambda b: b["contact"].update(website="ftp://example.be"), "/contact/website"),
    (lambda b: b["consent"].update(purposes=["newsletter"]), "/consent/purposes"),
    (lambda b: b["consent"].update(given_at="2099-01-01T00:00:00+00:00"), "/consent/given_at"),
    (lambda b: b["consent"].update(notice_version="1999-01"), "/consent/notice_version"),
    (lambda b: b["consent"].update(language="xx"), "/consent/language"),
    (lambda b: b["consent"].pop("method"), "/consent/method"),
    (lambda b: b["consent"]["person"].update(email="x@"), "/consent/person/email"),
    (lambda b: b["address"].update(colour="blue"), "/address/colour"),
    (lambda b: b.update(name="x" * 201), "/name"),
])
def test_invalid_field_is_422_naming_it(client: TestClient, publisher: InMemoryPublisher, change: Any,
                                        pointer: str) -> None:
    body = registration_body()
    change(body)
    assert_problem(post(client, "/v1/registrations", body), 422, pointer)
    assert publisher.records == []


def test_several_invalid_fields_are_reported_together(client: TestClient) -> None:
    body = registration_body("0428759498")
    body["contact"]["phone"] = "12"
    problem = assert_problem(post(client, "/v1/registrations", body), 422)
    assert {e["pointer"] for e in problem["errors"]} == {"/enterprise_number", "/contact/phone"}


def test_malformed_json_is_422_and_wrong_media_type_is_415(client: TestClient) -> None:
    assert_problem(post(client, "/v1/registrations", b"{"), 422)
    assert_problem(post(client, "/v1/registrations", b"{}", content_type="text/plain"), 415)


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    assert_problem(post(client, "/v1/registrations", b"x" * (65 * 1024)), 413)


def test_flooding_partner_gets_429_with_retry_after(client: TestClient) -> None:
    statuses = [post(client, "/v1/registrations", registration_body()).status_code for _ in range(55)]
    assert statuses.count(202) == 50
    response = post(client, "/v1/registrations", registration_body())
    assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60  # when the oldest request of the minute leaves it


# --- durability and retries -------------------------------------------------------------------------------------

def test_broker_down_is_503_with_retry_after(client: TestClient, publisher: InMemoryPublisher) -> None:
    publisher.down = True
    response = post(client, "/v1/registrations", registration_body())
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
    assert body["type"] == "/problems/unavailable"


def test_request_store_down_fails_closed_with_503(client: TestClient, store: InMemoryRequestStore,
                                                  publisher: InMemoryPublisher) -> None:
    store.down = True
    assert_problem(post(client, "/v1/registrations", registration_body()), 503)
    assert publisher.records == []


class StillRestoring:
    """A KBO store still being restored from its topics on this replica."""

    def check(self, business: Business) -> KboCheck:
        raise KboRestoring


def test_a_replica_whose_kbo_store_is_restoring_answers_503_and_publishes_nothing(
        publisher: InMemoryPublisher, store: InMemoryRequestStore) -> None:
    settings = Settings(topic_prefix="unit.", consume_decisions=False, consume_ingress=False)
    with TestClient(create_app(settings, publisher, store, StillRestoring())) as client:
        response = post(client, "/v1/registrations", registration_body())
        body = assert_problem(response, 503)
        assert (response.headers["retry-after"], body["title"]) == ("5", "KBO lookup store restoring")
        batch = post(client, "/v1/registrations:batch", {"registrations": [registration_body()]},
                     partner="nsz-koopvanuitjekot")
        assert batch.status_code == 503
        assert batch.json()["results"][0]["status"] == "unavailable"
        assert publisher.records == []
        withdrawal = {"enterprise_number": fresh_enterprise_number(), "withdrawn_at": "2026-11-27T10:00:00+01:00"}
        assert post(client, "/v1/withdrawals", withdrawal).status_code == 403  # only registrations are checked


class LosesOneWrite(InMemoryRequestStore):
    """A store whose first write of received statuses fails, as when Redis stops just after a publish."""

    lost = False

    def _write_unwritten(self) -> None:
        if not self.lost and self.unwritten:
            self.lost = True
            raise StoreUnavailable("the request store is unreachable; retry later")
        super()._write_unwritten()


def test_a_registration_whose_receipt_the_store_lost_can_be_withdrawn_at_once(publisher: InMemoryPublisher) -> None:
    store = LosesOneWrite()
    number = fresh_enterprise_number()
    with TestClient(create_app(Settings(topic_prefix="unit.", consume_decisions=False, consume_ingress=False),
                               publisher, store, KboSnapshotOf())) as client:
        assert post(client, "/v1/registrations", registration_body(number)).status_code == 202  # durable in Kafka
        assert store.lost
        withdrawal = {"enterprise_number": number, "withdrawn_at": "2026-11-27T10:00:00+01:00"}
        assert post(client, "/v1/withdrawals", withdrawal).status_code == 202
    assert store.forwarders[number] == {"unizo-winkelhier"}  # written once the store answered again
    assert store.unwritten == []


def test_retry_with_the_same_idempotency_key_returns_the_first_result(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    body = registration_body()
    first = post(client, "/v1/registrations", body, headers={"Idempotency-Key": "k-1"})
    again = post(client, "/v1/registrations", body, headers={"Idempotency-Key": "k-1"}, timestamp=retry_time())
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert len(publisher.records) == 1


def test_same_idempotency_key_with_another_body_is_409(client: TestClient) -> None:
    post(client, "/v1/registrations", registration_body(), headers={"Idempotency-Key": "k-2"})
    assert_problem(post(client, "/v1/registrations", registration_body(), headers={"Idempotency-Key": "k-2"}), 409)


def test_failed_publish_leaves_the_idempotency_key_free_for_the_retry(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    body = registration_body()
    publisher.down = True
    assert post(client, "/v1/registrations", body, headers={"Idempotency-Key": "k-3"}).status_code == 503
    publisher.down = False
    retry = post(client, "/v1/registrations", body, headers={"Idempotency-Key": "k-3"}, timestamp=retry_time())
    assert retry.status_code == 202
    assert len(publisher.records) == 1


# --- bulk -------------------------------------------------------------------------------------------------------

def test_batch_reports_each_item_and_publishes_only_the_valid_ones(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    items = [registration_body() for _ in range(4)]
    items[1]["enterprise_number"] = "0428759498"
    items[3]["consent"]["purposes"] = ["newsletter"]
    response = post(client, "/v1/registrations:batch", {"registrations": items}, partner="nsz-koopvanuitjekot")
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"], body["unavailable"]) == (2, 2, 0)
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected", "accepted", "rejected"]
    assert body["results"][1]["errors"][0]["pointer"] == "/enterprise_number"
    assert body["results"][3]["errors"][0]["pointer"] == "/consent/purposes"
    assert len(publisher.records) == 2


def test_batch_over_a_thousand_is_422(client: TestClient) -> None:
    items = [{"x": i} for i in range(1001)]
    assert_problem(post(client, "/v1/registrations:batch", {"registrations": items}), 422, "/registrations")


def cloudevent(type_: str, data: dict[str, Any], source: str = "/partners/unizo-winkelhier",
               id_: str | None = None) -> dict[str, Any]:
    return {"specversion": "1.0", "id": id_ or fresh_enterprise_number(), "source": source, "type": type_,
            "datacontenttype": "application/json", "data": data}


def withdrawal_data(client: TestClient | None = None) -> dict[str, str]:
    """A withdrawal; with a client, of a business its partner (unizo) registered first, so it may withdraw it."""
    number = fresh_enterprise_number()
    if client is not None:
        assert post(client, "/v1/registrations", registration_body(number)).status_code == 202
    return {"enterprise_number": number, "withdrawn_at": "2026-01-01T10:00:00+01:00"}


def test_structured_cloudevent_is_accepted_once_per_id(client: TestClient, publisher: InMemoryPublisher) -> None:
    event = cloudevent("be.buurt.registration.submitted.v1", registration_body(), id_="ce-1")
    first = post(client, "/v1/events", event, content_type="application/cloudevents+json")
    again = post(client, "/v1/events", event, content_type="application/cloudevents+json", timestamp=retry_time())
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert len(publisher.records) == 1


def test_cloudevents_batch_has_per_event_results(client: TestClient, publisher: InMemoryPublisher) -> None:
    batch = [cloudevent("be.buurt.consent.withdrawn.v1", withdrawal_data(client)),
             cloudevent("be.buurt.unknown.v1", {}),
             {"specversion": "1.0"},
             cloudevent("be.buurt.registration.submitted.v1", registration_body())]
    response = post(client, "/v1/events", batch, content_type="application/cloudevents-batch+json")
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected", "rejected", "accepted"]
    assert len(publisher.records) == 3  # the registration before it, then the two accepted


def test_csv_upload_maps_rows_to_registrations(client: TestClient, publisher: InMemoryPublisher) -> None:
    header = ("enterprise_number;name;street;number;postcode;municipality;categories;phone;consent_listing;"
              "consent_given_at;notice_version;consent_method;consent_evidence_ref;language;person_name;"
              "person_email\n")
    good = "0428759497;Bakkerij Claes;Veldstraat;3;9000;Gent;bakker;09 223 45 67;ja;2026-01-01T10:00:00+01:00;" \
           "2020-04;ondertekend formulier;map 17;nl;An Claes;an@example.be\n"
    bad = "0428759498;Slagerij Peeters;Markt;1;3000;Leuven;slager;;ja;2026-01-01T10:00:00+01:00;2020-04;signed-form;" \
          "map 18;nl;Jan Peeters;jan@example.be\n"
    response = post(client, "/v1/partners/nsz-koopvanuitjekot/uploads", (header + good + bad).encode(),
                    partner="nsz-koopvanuitjekot", content_type="text/csv")
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected"]
    assert codec.decode(events.RegistrationSubmitted, publisher.records[0][2]).business.name == "Bakkerij Claes"


def test_openapi_examples_are_valid_requests(client: TestClient, publisher: InMemoryPublisher) -> None:
    assert post(client, "/v1/registrations", examples.REGISTRATION).status_code == 202
    assert post(client, "/v1/withdrawals", examples.WITHDRAWAL).status_code == 202
    assert post(client, "/v1/erasure-requests", examples.ERASURE).status_code == 202
    response = post(client, "/v1/events", examples.CLOUDEVENT, content_type="application/cloudevents+json")
    assert response.status_code == 202
    upload = post(client, "/v1/partners/unizo-winkelhier/uploads", examples.CSV.encode(), content_type="text/csv")
    assert upload.json()["accepted"] == 1
    assert len(publisher.records) == 5


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_enterprise_number_works_on_every_endpoint_that_takes_one(
        client: TestClient, publisher: InMemoryPublisher, spelling: str) -> None:
    now = "2026-11-26T09:00:00+01:00"
    accepted = [
        post(client, "/v1/registrations", registration_body(spelling)),
        post(client, "/v1/registrations", as_vlam({**registration_body(spelling), "contact": {}}),
             partner="vlam-lekkervanbijons"),
        post(client, "/v1/withdrawals", {"enterprise_number": spelling, "withdrawn_at": now}),
        post(client, "/v1/erasure-requests", {"enterprise_number": spelling, "requested_at": now}),
        post(client, "/v1/events", {**examples.CLOUDEVENT, "id": f"ce-{spelling}",
                                    "data": {"enterprise_number": spelling, "withdrawn_at": now}},
             content_type="application/cloudevents+json"),
    ]
    assert [r.status_code for r in accepted] == [202] * len(accepted), [r.text for r in accepted]
    batch = post(client, "/v1/registrations:batch", {"registrations": [registration_body(spelling)]})
    upload = post(client, "/v1/partners/unizo-winkelhier/uploads",
                  examples.CSV.replace("0428759497", spelling).encode(), content_type="text/csv")
    assert (batch.json()["accepted"], upload.json()["accepted"]) == (1, 1), (batch.text, upload.text)
    assert {key for _, key, _ in publisher.records} == {b"0428759497"}
    path = f"/v1/businesses/{spelling}/submissions"
    mine = client.get(path, headers=signed("GET", path, b""))
    assert mine.status_code == 200, mine.text
    assert mine.json()["enterprise_number"] == "0428759497"
    assert len(mine.json()["submissions"]) == 6  # all but the marketing board's


@pytest.mark.parametrize(("spelling", "detail"), [("0428759498", "check digit"), ("BE 0428", "not a Belgian")])
def test_a_wrong_enterprise_number_is_a_422_saying_why_on_every_endpoint(client: TestClient, spelling: str,
                                                                        detail: str) -> None:
    now = "2026-11-26T09:00:00+01:00"
    for path, body in (("/v1/registrations", registration_body(spelling)),
                       ("/v1/withdrawals", {"enterprise_number": spelling, "withdrawn_at": now}),
                       ("/v1/erasure-requests", {"enterprise_number": spelling, "requested_at": now})):
        problem = assert_problem(post(client, path, body), 422, "/enterprise_number")
        assert detail in problem["detail"]
    path = f"/v1/businesses/{spelling}/submissions"
    assert_problem(client.get(path, headers=signed("GET", path, b"")), 422, "/enterprise_number")


def test_a_partner_sees_only_its_own_submissions_about_a_business(client: TestClient) -> None:
    post(client, "/v1/registrations", registration_body("0428759497"), partner="gemeenten")
    path = "/v1/businesses/0428759497/submissions"
    assert client.get(path, headers=signed("GET", path, b"")).json()["submissions"] == []
    theirs = client.get(path, headers=signed("GET", path, b"", partner="gemeenten")).json()["submissions"]
    assert [s["status"] for s in theirs] == ["received"]


# --- who may end a listing --------------------------------------------------------------------------------------

def test_only_a_partner_that_forwarded_a_business_or_the_operator_may_end_its_listing(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    number = fresh_enterprise_number()
    assert post(client, "/v1/registrations", registration_body(number), partner="unizo-winkelhier").status_code == 202
    now = "2026-01-01T10:00:00+01:00"
    withdrawal, erasure = {"enterprise_number": number, "withdrawn_at": now}, {"enterprise_number": number,
                                                                             "requested_at": now}
    for path, body in (("/v1/withdrawals", withdrawal), ("/v1/erasure-requests", erasure)):
        refused = assert_problem(post(client, path, body, partner="nsz-koopvanuitjekot"), 403, "/enterprise_number")
        assert refused["errors"][0]["code"] == "partner_not_entitled"
        assert number not in refused["detail"]  # nothing about the business
    unknown = assert_problem(post(client, "/v1/withdrawals", {**withdrawal, "enterprise_number": "0403019261"},
                                  partner="nsz-koopvanuitjekot"), 403)
    assert unknown["detail"] == refused["detail"]  # the same answer for a business nobody registered
    audited = [codec.decode_partner_event(value) for _, _, value in publisher.records]
    assert [(e.event_type, e.partner_id) for e in audited if isinstance(e, events.RequestRefused)] == [
        ("request.refused", "nsz-koopvanuitjekot")] * 3
    assert post(client, "/v1/withdrawals", withdrawal, partner="unizo-winkelhier").status_code == 202
    operator = client.post("/v1/withdrawals", json={**withdrawal, "enterprise_number": "0403019261"},
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert operator.status_code == 202, operator.text
    assert post(client, "/v1/erasure-requests", erasure, partner="unizo-winkelhier").status_code == 202


def test_a_refused_cloudevent_withdrawal_is_a_403_too(client: TestClient) -> None:
    event = cloudevent("be.buurt.consent.withdrawn.v1", withdrawal_data(), source="/partners/unizo-winkelhier")
    assert_problem(post(client, "/v1/events", event, content_type="application/cloudevents+json"), 403,
                   "/enterprise_number")
