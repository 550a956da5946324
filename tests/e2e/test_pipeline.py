"""The whole platform as real processes: registration -> Kafka -> consent worker -> Kafka -> search (Redis)."""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from tests.kafka_tools import produce, read_all
from tests.platform import Platform, post, running_platform, search_near_gent, status_of, wait_for
from tests.samples import GENT, fresh_enterprise_number, registration_body, wire_registration


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"e2e{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("e2e-logs")) as running:
        yield running


def send_over_kafka(kafka_bootstrap: str, platform: Platform, event: events.RegistrationSubmitted) -> None:
    """As a partner's Kafka export does: canonical JSON keyed by the enterprise number."""
    asyncio.run(produce(kafka_bootstrap, platform.topics.submitted,
                        [(codec.key(event.business.enterprise_number), codec.encode(event))]))


def test_consenting_business_is_found_and_one_without_consent_never_is(
        platform: Platform, kafka_bootstrap: str, tmp_path: Path) -> None:
    listed, refused = fresh_enterprise_number(), fresh_enterprise_number()
    position = {"lat": GENT["lat"] + 0.01, "lon": GENT["lon"]}
    listed_id = post(platform, "/v1/registrations", registration_body(listed, name="Hoeve Ter Linde",
                                                                       position=position))
    # The API refuses a registration without listing consent (422); over Kafka the consent worker rejects it.
    unconsented = wire_registration(refused, consent=False)
    send_over_kafka(kafka_bootstrap, platform, unconsented)
    refused_id = str(unconsented.event_id)

    assert wait_for(lambda: any(hit["enterprise_number"] == listed for hit in search_near_gent(platform)))
    hit = next(h for h in search_near_gent(platform) if h["enterprise_number"] == listed)
    assert hit["name"] == "Hoeve Ter Linde"
    assert 1.0 < hit["distance_km"] < 1.2  # 0.01 degree of latitude is about 1.11 km

    records = asyncio.run(read_all(kafka_bootstrap, platform.topics.decisions, expect=2))
    decisions = {str(d.source_event_id): d for d in (codec.decode(events.Decision, r.value) for r in records)}
    assert decisions[listed_id].outcome == "approved"
    assert decisions[listed_id].reasons == ("explicit_consent_listing", "kbo_unverified")  # no KBO snapshot here
    assert decisions[refused_id].outcome == "rejected"
    assert decisions[refused_id].reasons == ("purpose_listing_missing",)
    assert all(hit["enterprise_number"] != refused for hit in search_near_gent(platform))
    assert wait_for(lambda: status_of(platform, listed_id) == "listed")


def test_withdrawn_business_disappears_from_search(platform: Platform) -> None:
    number = fresh_enterprise_number()
    registration_id = post(platform, "/v1/registrations", registration_body(number))
    assert wait_for(lambda: any(hit["enterprise_number"] == number for hit in search_near_gent(platform)))
    post(platform, "/v1/withdrawals", {"enterprise_number": number, "withdrawn_at": datetime.now(UTC).isoformat()})
    assert wait_for(lambda: all(hit["enterprise_number"] != number for hit in search_near_gent(platform)),
                    timeout=5)
    assert wait_for(lambda: status_of(platform, registration_id) == "withdrawn")


def test_every_service_reports_health_and_prometheus_metrics(platform: Platform) -> None:
    for url in (platform.search_url, platform.registration_url, platform.consent_url):
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert httpx.get(f"{url}/readyz").json()["ready"] is True
        metrics = httpx.get(f"{url}/metrics")
        assert metrics.status_code == 200
        assert "# TYPE" in metrics.text


def test_logs_hold_no_personal_data(platform: Platform) -> None:
    decided = post(platform, "/v1/registrations", registration_body())
    assert wait_for(lambda: status_of(platform, decided) == "listed")  # through every service, logs written
    logs = list(platform.logs.glob("*.log"))
    assert {log.name for log in logs} >= {"buurt-registration.log", "buurt-consent.log", "buurt-search.log"}
    for log in logs:
        text = log.read_text().lower()
        assert text.strip(), f"{log.name} is empty: nothing to scan"
        assert "griet" not in text, log.name
        assert "vermeulen" not in text, log.name
        assert "@example.be" not in text, log.name
