"""schemathesis against the registration service's OpenAPI document: a real process on real Kafka and Redis.

Every generated request is signed like a partner's, so the run reaches the handlers instead of stopping at 401.
A short run here (``make test``); the fault-and-abuse suite runs a long one.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from tests.contract import MAX_EXAMPLES, explore_all
from tests.platform import Platform, running_platform


@pytest.fixture(scope="module")
def registration(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[Platform]:
    import asyncio

    topics = Topics(f"st{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("st-logs"),
                          names=("buurt-registration",),
                          extra_env={"REGISTRATION_RATE_LIMIT_PER_MINUTE": "1000000"}) as platform:
        yield platform


def test_registration_api_never_fails_and_always_answers_per_its_schema(registration: Platform) -> None:
    seen = explore_all(registration.registration_url, sign=True)
    assert sum(seen.values()) >= 8 * min(MAX_EXAMPLES, 5)
    # The run reached the handlers (signed requests), not just the authentication gate.
    assert seen[422] > 0, seen
    assert seen[200] + seen[202] > 0, seen


def test_log_of_the_contract_run_has_no_server_errors(registration: Platform) -> None:
    log = Path(registration.logs / "buurt-registration.log").read_text()
    assert "Application startup complete" in log  # the log it scans is the service's
    assert "Traceback" not in log
