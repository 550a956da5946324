"""Demand insights against real processes: the search service's anonymous events, aggregated by the faust worker
(buurt-insights) into the day's counts per municipality and category in Redis — searches, searches without
results and their words — checked against counts written out by hand; then read by a partner from the
registration service, k-anonymous, and refused without credentials."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis

from services.common import codec
from services.common.events import DemandCount
from services.common.kafka_admin import create_topics
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.search.index import RedisListingIndex
from tests.platform import Platform, running_platform, wait_for
from tests.samples import signed
from tests.search_samples import listing


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"ins{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("insights-logs"),
                          names=("buurt-registration", "buurt-search", "buurt-insights"),
                          extra_env={"REGISTRATION_INSIGHTS_REDIS_PREFIX": f"{topics.prefix}buurt:"}) as running:
        yield running


async def seed(redis_url: str, prefix: str) -> None:
    connection = redis.asyncio.Redis.from_url(redis_url)
    try:
        await RedisListingIndex(connection, prefix).apply([("0428759497", listing(
            "0428759497", 51.0547, 3.7219, "Bakkerij Claes", ("bakker",)))])
    finally:
        await connection.aclose()


def topic_days(bootstrap: str, topic: str) -> dict[str, int]:
    """The compacted topic's latest count per day cell, summed over the days (as days() sums Redis)."""
    latest = {}
    for record in asyncio.run(read_topic(bootstrap, topic)):
        cell = codec.decode(DemandCount, record.value)
        if cell.granularity == "day":
            latest[record.key] = cell
    summed: Counter[str] = Counter()
    for cell in latest.values():
        summed[f"{cell.municipality_nis}|{cell.category}|{cell.measure}"] += cell.count
    return dict(summed)


def test_searches_become_counts_per_municipality_and_category(platform: Platform, redis_url: str,
                                                               kafka_bootstrap: str) -> None:
    prefix = platform.env["SEARCH_REDIS_PREFIX"]
    asyncio.run(seed(redis_url, f"{prefix}idx:"))
    for place, q, times in (("9000", "bakker", 3), ("9000", "beenhouwer", 2), ("2000", "vis", 1)):
        for _ in range(times):
            answer = httpx.get(f"{platform.search_url}/v1/search", params={"place": place, "q": q, "radius_km": 5},
                               timeout=10)
            assert answer.status_code == 200, answer.text
    expected = {  # Gent 44021: 5 searches, the 2 for a butcher without results; Antwerpen 11002: 1, for fish
        "44021|*|searches": 5, "44021|*|zero": 2, "44021|*|zero-word:beenhouwer": 2, "44021|bakker|searches": 3,
        "44021|slager|searches": 2, "44021|slager|zero": 2, "44021|slager|zero-word:beenhouwer": 2,
        "11002|*|searches": 1, "11002|*|zero": 1, "11002|vis|searches": 1, "11002|vis|zero": 1,
        "11002|vis|zero-word:vis": 1, "11002|*|zero-word:vis": 1}
    client = redis.Redis.from_url(redis_url, decode_responses=True)

    def days() -> dict[str, int]:  # summed over the day windows: a run across midnight has two
        summed: Counter[str] = Counter()
        for key in client.keys(f"{prefix}insights:day:*"):
            summed.update({str(field): int(count) for field, count in client.hgetall(key).items()})
        return dict(summed)

    assert wait_for(lambda: days() == expected, timeout=90), days()
    assert client.zcard(f"{prefix}insights:windows:week") >= 1
    assert wait_for(lambda: topic_days(kafka_bootstrap, platform.topics.demand) == expected, timeout=30)
    insights_metrics = httpx.get(f"http://127.0.0.1:{platform.env['INSIGHTS_WEB_PORT']}/metrics", timeout=10).text
    assert 'buurt_insights_searches_total{outcome="counted"} 6.0' in insights_metrics

    # a partner reads them: only cells and words counted at least k (5) times
    path = "/v1/insights/demand"
    answer = httpx.get(f"{platform.registration_url}{path}", params={"granularity": "day"},
                       headers=signed("GET", path, b""), timeout=10)
    assert answer.status_code == 200, answer.text
    cells = answer.json()["cells"]
    assert [(c["municipality"]["nis"], c["category"], c["searches"], c["zero_result_searches"],
             c["zero_result_words"]) for c in cells] == [("44021", "*", 5, 2, [])], cells
    assert cells[0]["municipality"]["name"] == "Gent"
    as_csv = httpx.get(f"{platform.registration_url}{path}", params={"municipality": "Gent"},
                       headers={**signed("GET", path, b""), "Accept": "text/csv"}, timeout=10)
    assert as_csv.text.splitlines()[1].split(",")[1:6] == ["44021", "Gent", "*", "5", "2"]
    assert httpx.get(f"{platform.registration_url}{path}", timeout=10).status_code == 401
