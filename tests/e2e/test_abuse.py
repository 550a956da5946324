"""The short abuse run of `make test` (the long one: `make chaos`), against the real services: nobody gets in without
credentials, bad Kafka input lands in the DLQ with reasons while valid input is still decided, and after all of it
the logs hold none of the test subjects' personal data."""

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chaos import kafka_fuzz, pii
from tests.platform import Platform, running_platform
from tests.samples import registration_body, signed

RATE_LIMIT = 40  # per partner and minute, low so that flooding is quick to show


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    import asyncio

    from services.common.kafka_admin import create_topics
    from services.common.topics import Topics

    topics = Topics(f"ab{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("abuse"),
                          extra_env={"REGISTRATION_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)}) as running:
        yield running


def _post(platform: Platform, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{platform.registration_url}{path}", content=body, headers=headers, timeout=30)


def test_requests_without_valid_credentials_are_refused(platform: Platform) -> None:
    body = json.dumps(registration_body()).encode()
    good = signed("POST", "/v1/registrations", body, "nsz-koopvanuitjekot")
    stale = signed("POST", "/v1/registrations", body, "nsz-koopvanuitjekot", timestamp=int(time.time()) - 3600)
    cases = {
        "no credentials": {"Content-Type": "application/json"},
        "no signature": {k: v for k, v in good.items() if k != "X-Buurt-Signature"},
        "wrong signature": {**good, "X-Buurt-Signature": "0" * 64},
        "expired signature": stale,
        "unknown key": {**good, "Authorization": "Bearer nobody"},
    }
    for case, headers in cases.items():
        assert _post(platform, "/v1/registrations", body, headers).status_code == 401, case
    assert _post(platform, "/v1/registrations", body, good).status_code == 202
    assert _post(platform, "/v1/registrations", body, good).status_code == 401, "a replay"


def test_partners_cannot_act_as_or_read_for_another(platform: Platform) -> None:
    csv_path = "/v1/partners/nsz-koopvanuitjekot/uploads"
    upload = b"enterprise_number,name,postcode,municipality,consent_listing\n"
    headers = signed("POST", csv_path, upload, "unizo-winkelhier", content_type="text/csv")
    assert _post(platform, csv_path, upload, headers).status_code == 403
    body = json.dumps(registration_body()).encode()
    accepted = _post(platform, "/v1/registrations", body, signed("POST", "/v1/registrations", body))
    path = f"/v1/registrations/{accepted.json()['id']}"
    other = httpx.get(f"{platform.registration_url}{path}", timeout=10,
                      headers=signed("GET", path, b"", "nsz-koopvanuitjekot"))
    assert other.status_code == 404


def test_ops_and_admin_endpoints_need_their_credentials(platform: Platform) -> None:
    assert httpx.get(f"{platform.search_url}/v1/stats/visitors", timeout=10).status_code == 401
    erasure = json.dumps({"enterprise_number": "0428759497", "requested_at": "2026-11-26T10:00:00Z"}).encode()
    response = _post(platform, "/v1/erasure-requests", erasure, {"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_oversized_bodies_and_floods_are_refused(platform: Platform) -> None:
    huge = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    oversized = _post(platform, "/v1/registrations", huge, signed("POST", "/v1/registrations", huge))
    assert oversized.status_code == 413
    statuses = []
    for _ in range(RATE_LIMIT + 10):
        body = json.dumps(registration_body()).encode()
        statuses.append(_post(platform, "/v1/registrations", body,
                              signed("POST", "/v1/registrations", body, "gemeenten")).status_code)
    assert 429 in statuses
    assert set(statuses) <= {202, 429}


def test_bad_kafka_input_is_dead_lettered_with_reasons_and_valid_input_still_decided(platform: Platform) -> None:
    report = kafka_fuzz.run(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics, bad=1000, kcat=200)
    assert report.findings == []
    assert report.bad == 1200


def test_no_personal_data_of_the_test_subjects_reached_the_logs(platform: Platform) -> None:
    # runs last in this module: after every request and record above
    assert pii.scan(Path(platform.logs)) == []
