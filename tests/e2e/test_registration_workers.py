"""The registration service with several uvicorn workers (REGISTRATION_WORKERS): every concurrent request is
accepted exactly once, each by whichever worker took it, and is committed in Kafka when it is answered 202."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.common.kafka_admin import create_topics
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from tests.platform import Platform, running_platform, wait_for
from tests.samples import PARTNER, fresh_enterprise_number, registration_body, signed


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"workers{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("workers-logs"),
                          names=("buurt-registration",), extra_env={"REGISTRATION_WORKERS": "2"}) as running:
        yield running


def submit(platform: Platform, body: bytes, key: str, timestamp: int | None = None) -> httpx.Response:
    headers = {**signed("POST", "/v1/registrations", body, PARTNER, timestamp=timestamp), "Idempotency-Key": key}
    with httpx.Client(base_url=platform.registration_url, timeout=30) as client:  # a connection of its own each
        return client.post("/v1/registrations", content=body, headers=headers)


def test_concurrent_requests_over_two_workers_are_each_committed_once(platform: Platform,
                                                                      kafka_bootstrap: str) -> None:
    numbers = [fresh_enterprise_number() for _ in range(40)]
    bodies = {number: json.dumps(registration_body(number)).encode() for number in numbers}
    signed_at = int(time.time())
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda number: submit(platform, bodies[number], number, signed_at), bodies))
    assert [a.status_code for a in answers] == [202] * len(bodies), [a.text for a in answers if a.status_code != 202]
    first = next(iter(bodies))  # its retry (signed anew), maybe on the other worker, gets the original answer
    again = submit(platform, bodies[first], first, timestamp=signed_at - 1)  # a signature not used before
    assert (again.status_code, again.json().get("id")) == (202, answers[0].json()["id"]), again.text

    committed = asyncio.run(read_topic(kafka_bootstrap, platform.topics.submitted))
    ids = [json.loads(r.value or b"{}")["event_id"] for r in committed]
    assert sorted(ids) == sorted(a.json()["id"] for a in answers)
    for _ in range(4):  # a connection of its own each: whichever worker answers, /metrics counts both's requests
        assert accepted(httpx.get(f"{platform.registration_url}/metrics").text) == len(bodies)
    # each worker joins the followers' consumer groups: ready once the rebalances settle
    assert wait_for(lambda: httpx.get(f"{platform.registration_url}/readyz").status_code == 200)


def accepted(metrics: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(metrics)
               if family.name == "buurt_registration_events_accepted" for sample in family.samples
               if sample.name.endswith("_total"))
