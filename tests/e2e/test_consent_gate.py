"""The consent gate against real processes, on both paths into the platform: HTTP, and a partner's Kafka ingress
topic (CloudEvents in binary mode, the marketing board's own Dutch format in ``data``). Only affirmative consent is
listed; refusals name the field and the reason (a 422 over HTTP, the partner's dead-letter topic over Kafka); only a
partner that forwarded a business, or the operator, may end its listing, and every refused attempt is audited."""

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.topics import Topics, ingress, ingress_dlq
from services.demo.data import as_vlam
from tests.kafka_tools import read_all
from tests.platform import Platform, post, running_platform, wait_for
from tests.samples import fresh_enterprise_number, registration_body, signed

VLAM = "vlam-lekkervanbijons"
OPERATOR_TOKEN = "operator-token-for-the-consent-gate"
AFFIRMATIVE = {"ticked-box": "aangevinkt", "signed-form": "ondertekend-formulier", "double-opt-in": "dubbele-opt-in",
               "recorded-call": "telefonisch-opgenomen", "e-signature": "e-handtekening"}
NOT_CONSENT = {"pre-ticked": "vooraf-aangevinkt", "opt-out": "geen-bezwaar", "implied": "stilzwijgend",
               "terms-acceptance": "algemene-voorwaarden"}


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"gate{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    operator = {"REGISTRATION_ADMIN_TOKEN_SHA256": hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()}
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("gate-logs"),
                          extra_env=operator) as running:
        yield running


def body_with(method: str, number: str | None = None) -> dict[str, Any]:
    body = registration_body(number)
    body["consent"]["method"] = method
    return body


def submissions(platform: Platform, number: str, partner: str) -> list[dict[str, Any]]:
    path = f"/v1/businesses/{number}/submissions"
    response = httpx.get(f"{platform.registration_url}{path}", headers=signed("GET", path, b"", partner), timeout=10)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["submissions"]
    return found


def latest_status(platform: Platform, number: str, partner: str) -> str | None:
    found = submissions(platform, number, partner)
    return found[0]["status"] if found else None


def send_to_ingress(kafka_bootstrap: str, platform: Platform, records: list[tuple[list[tuple[str, bytes]], bytes]],
                    ) -> None:
    """As the board's own Kafka client does: CloudEvents in binary mode (ce_ headers) on its ingress topic."""
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for headers, value in records:
                await producer.send_and_wait(platform.topics.name(ingress(VLAM)), value, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(send())


def binary_cloudevent(data: Any, type_: str = "be.buurt.registration.submitted.v1",
                      source: str = f"/partners/{VLAM}") -> tuple[list[tuple[str, bytes]], bytes]:
    headers = [("ce_specversion", b"1.0"), ("ce_type", type_.encode()), ("ce_source", source.encode()),
               ("ce_id", uuid.uuid4().hex.encode()), ("content-type", b"application/json")]
    return headers, json.dumps(data).encode()


def dead_letters(kafka_bootstrap: str, platform: Platform, expect: int) -> list[events.DeadLetter]:
    records = asyncio.run(read_all(kafka_bootstrap, platform.topics.name(ingress_dlq(VLAM)), expect=expect,
                                   timeout=60 if expect else 5))
    return [codec.decode(events.DeadLetter, r.value) for r in records]


@pytest.mark.parametrize("method", list(AFFIRMATIVE))
def test_over_http_an_affirmative_method_is_listed(platform: Platform, method: str) -> None:
    number = fresh_enterprise_number()
    post(platform, "/v1/registrations", body_with(method, number))
    assert wait_for(lambda: latest_status(platform, number, "unizo-winkelhier") == "listed")


@pytest.mark.parametrize(("method", "code"), [*((m, "consent_not_affirmative") for m in NOT_CONSENT),
                                              ("web-form", None), ("Ticked Box", None)])
def test_over_http_a_method_that_is_not_consent_or_unknown_is_a_422_on_consent_method(
        platform: Platform, method: str, code: str | None) -> None:
    raw = json.dumps(body_with(method)).encode()
    response = httpx.post(f"{platform.registration_url}/v1/registrations", content=raw, timeout=10,
                          headers=signed("POST", "/v1/registrations", raw))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["pointer"] == "/consent/method"
    assert error.get("code") == code


def test_over_kafka_the_boards_own_records_are_listed_or_dead_lettered_with_the_reason(
        platform: Platform, kafka_bootstrap: str) -> None:
    listed = {code: fresh_enterprise_number() for code in AFFIRMATIVE.values()}
    refused = {code: fresh_enterprise_number() for code in [*NOT_CONSENT.values(), "web-form"]}

    def record(number: str, code: str) -> tuple[list[tuple[str, bytes]], bytes]:
        native = as_vlam(registration_body(number))
        native["toestemming"]["methode"] = code
        return binary_cloudevent(native)

    malformed = ([("ce_specversion", b"1.0"), ("ce_type", b"be.buurt.registration.submitted.v1"),
                  ("ce_id", uuid.uuid4().hex.encode())], b"{broken")
    impostor = binary_cloudevent(as_vlam(registration_body()), source="/partners/unizo-winkelhier")
    sent = [*(record(n, c) for c, n in {**listed, **refused}.items()), malformed, impostor]
    send_to_ingress(kafka_bootstrap, platform, sent)

    assert wait_for(lambda: all(latest_status(platform, n, VLAM) == "listed" for n in listed.values()), timeout=60)
    ours = {dict(headers)["ce_id"].decode() for headers, _ in sent}  # the DLQ is shared with this module's other tests

    def letters() -> list[events.DeadLetter]:
        return [letter for letter in dead_letters(kafka_bootstrap, platform, expect=0)
                if letter.headers.get("ce_id") in ours]

    assert wait_for(lambda: len(letters()) == len(refused) + 2, timeout=60), letters()
    letters_now = letters()
    by_number = {_number_of(letter): letter.reason for letter in letters_now}
    for code in NOT_CONSENT.values():
        assert "/consent/method" in by_number[refused[code]], by_number[refused[code]]
        assert "consent_not_affirmative" in by_number[refused[code]]
    assert "/toestemming/methode" in by_number[refused["web-form"]]
    assert any("not a valid CloudEvent" in letter.reason for letter in letters_now)
    assert any("source must be /partners/vlam-lekkervanbijons" in letter.reason for letter in letters_now)
    assert all(latest_status(platform, n, VLAM) is None for n in refused.values())  # never published


def _number_of(letter: events.DeadLetter) -> str | None:
    try:
        return str(json.loads(base64.b64decode(letter.original))["ondernemingsnummer"])
    except (ValueError, KeyError, TypeError):
        return None


def test_only_the_forwarding_partner_or_the_operator_may_end_a_listing_and_refusals_are_audited(
        platform: Platform, kafka_bootstrap: str) -> None:
    number, other = fresh_enterprise_number(), fresh_enterprise_number()
    for business in (number, other):
        post(platform, "/v1/registrations", registration_body(business), partner="unizo-winkelhier")
    assert wait_for(lambda: latest_status(platform, other, "unizo-winkelhier") == "listed")
    now = datetime.now(UTC).isoformat()
    withdrawal, erasure = {"enterprise_number": number, "withdrawn_at": now}, {"enterprise_number": number,
                                                                             "requested_at": now}

    refusals = [post(platform, path, body, partner="nsz-koopvanuitjekot", expect=403)
                for path, body in (("/v1/withdrawals", withdrawal), ("/v1/erasure-requests", erasure))]
    assert refusals == ["None", "None"]  # a 403 problem, no event id
    send_to_ingress(kafka_bootstrap, platform, [binary_cloudevent(withdrawal, type_="be.buurt.consent.withdrawn.v1")])
    assert wait_for(lambda: any("partner_not_entitled" in letter.reason
                                for letter in dead_letters(kafka_bootstrap, platform, 0)
                                if _withdrawn(letter) == number), timeout=60)

    def audited() -> list[dict[str, str]]:
        rows = [json.loads(line) for line in platform.audit("history", number, "--format", "jsonl").stdout.splitlines()]
        return [row for row in rows if row["reasons"] == "partner_not_entitled"]

    assert wait_for(lambda: len(audited()) == 3, timeout=60), platform.audit("history", number).stdout
    assert {(row["event"], row["partner"]) for row in audited()} == {("rejected", "nsz-koopvanuitjekot"),
                                                                     ("rejected", VLAM)}
    assert latest_status(platform, number, "unizo-winkelhier") == "listed"  # nothing was ended

    post(platform, "/v1/withdrawals", withdrawal, partner="unizo-winkelhier")
    assert wait_for(lambda: latest_status(platform, number, "unizo-winkelhier") == "withdrawn")
    operator = httpx.post(f"{platform.registration_url}/v1/withdrawals", timeout=10,
                          json={"enterprise_number": other, "withdrawn_at": now},
                          headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert operator.status_code == 202, operator.text
    assert wait_for(lambda: submissions(platform, other, "unizo-winkelhier")[0]["status"] == "withdrawn")
    post(platform, "/v1/erasure-requests", erasure, partner="unizo-winkelhier")
    assert wait_for(lambda: submissions(platform, number, "unizo-winkelhier")[0]["status"] == "erased")


def _withdrawn(letter: events.DeadLetter) -> str | None:
    try:
        return str(json.loads(base64.b64decode(letter.original))["enterprise_number"])
    except (ValueError, KeyError, TypeError):
        return None
