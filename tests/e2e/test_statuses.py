"""What partners read about their submissions, against real processes: every decision outcome reaches its status (a
withdrawal without effect does not stop the statuses of later submissions), and a status follower that fails is
logged with where, named by /readyz, counted in the metrics, restarted, and catches up."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.common import codec
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import process, redis_server
from tests.kafka_tools import produce
from tests.platform import Platform, post, running_platform, search_near_gent, status_of, submission, wait_for
from tests.samples import fresh_enterprise_number, registration_body, wire_registration


def fresh_topics(kafka_bootstrap: str) -> Topics:
    topics = Topics(f"st{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    return topics


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(kafka_bootstrap, redis_url, fresh_topics(kafka_bootstrap),
                          tmp_path_factory.mktemp("status-logs")) as running:
        yield running


def test_a_withdrawal_dated_before_the_consent_changes_nothing_and_later_submissions_are_still_decided(
        platform: Platform) -> None:
    number = fresh_enterprise_number()
    body = registration_body(number)
    registered = post(platform, "/v1/registrations", body)
    assert wait_for(lambda: status_of(platform, registered) == "listed")

    given_at = datetime.fromisoformat(body["consent"]["given_at"])
    stale = post(platform, "/v1/withdrawals",
                 {"enterprise_number": number, "withdrawn_at": (given_at - timedelta(days=7)).isoformat()})
    assert wait_for(lambda: status_of(platform, stale) == "unchanged")
    assert submission(platform, stale)["reasons"] == ["withdrawal_predates_current_consent"]
    assert status_of(platform, registered) == "listed"
    assert number in {hit["enterprise_number"] for hit in search_near_gent(platform)}

    later = {partner: post(platform, "/v1/registrations", registration_body(), partner)
             for partner in ("unizo-winkelhier", "gemeenten", "nsz-koopvanuitjekot")}
    assert wait_for(lambda: all(status_of(platform, event_id, partner) == "listed"
                                for partner, event_id in later.items())), later


def test_a_failing_status_follower_is_logged_reported_restarted_and_catches_up(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    store = redis_server.RedisNode(tmp_path / "redis", process.free_port())  # the registration service's own
    redis_server.start(store)
    try:
        with running_platform(kafka_bootstrap, store.url, fresh_topics(kafka_bootstrap), tmp_path / "logs",
                              names=("buurt-registration", "buurt-consent")) as platform:
            registration_log = platform.logs / "buurt-registration.log"
            redis_server.stop(store)  # the follower cannot store the next decision
            event = wire_registration(partner="vlam-rechtvanbijdeboer")
            asyncio.run(produce(kafka_bootstrap, platform.topics.submitted,
                                [(codec.key(event.business.enterprise_number), codec.encode(event))]))

            assert wait_for(lambda: _follower_failure(registration_log) is not None, timeout=60)
            failure = _follower_failure(registration_log)
            assert failure is not None
            assert failure["level"] == "ERROR"
            assert failure["topic"] == platform.topics.decisions
            assert isinstance(failure["partition"], int)
            assert isinstance(failure["offset"], int)
            ready = httpx.get(f"{platform.registration_url}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["checks"]["task:decisions-follower"] is False
            assert _restarts(platform, "decisions-follower") >= 1

            redis_server.start(store)
            assert wait_for(lambda: httpx.get(f"{platform.registration_url}/readyz", timeout=10).status_code == 200,
                            timeout=90)
            assert wait_for(lambda: status_of(platform, str(event.event_id), "vlam-rechtvanbijdeboer") == "listed")
    finally:
        redis_server.stop(store)


def _follower_failure(log: Path) -> dict[str, object] | None:
    if not log.exists():
        return None
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return next((line for line in lines if line.get("task") == "decisions-follower"
                 and line.get("message", "").startswith("background task failed")), None)


def _restarts(platform: Platform, task: str) -> float:
    metrics = httpx.get(f"{platform.registration_url}/metrics", timeout=10).text
    prefix = f'buurt_task_restarts_total{{task="{task}"}} '
    return next(float(line.removeprefix(prefix)) for line in metrics.splitlines() if line.startswith(prefix))
