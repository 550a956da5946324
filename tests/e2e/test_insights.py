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
                          names=("buurt-registration", "buurt-search", "buurt-insights")) as running:
        yield running


async def seed(redis_url: str, prefix: str) -> None:
    connection = redis.asyncio.Redis.from_url(redis_url)
    try:
        await RedisListingIndex(connection, prefix).apply([
            ("0428759497", listing("0428759497", 51.0547, 3.7219, "Bakkerij Claes", ("bakker",))),
            ("0417497106", listing("0417497106", 51.0650, 3.7490, "Bakkerij Oost", ("bakker",),
                                   municipality="Sint-Amandsberg", postcode="9040"))])
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
    for place, q, times in (("9000", "bakker", 6), ("9000", "beenhouwer", 5), ("2000", "vis", 1)):
        for _ in range(times):
            answer = httpx.get(f"{platform.search_url}/v1/search", params={"place": place, "q": q, "radius_km": 5},
                               timeout=10)
            assert answer.status_code == 200, answer.text
    expected = {  # Gent 44021: 11 searches, the 5 for a butcher without results; Antwerpen 11002: 1, for fish
        "44021|*|searches": 11, "44021|*|zero": 5, "44021|*|zero-word:beenhouwer": 5, "44021|bakker|searches": 6,
        "44021|slager|searches": 5, "44021|slager|zero": 5, "44021|slager|zero-word:beenhouwer": 5,
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
    assert 'buurt_insights_searches_total{outcome="counted"} 12.0' in insights_metrics

    # a partner reads them: only cells and words counted at least k (5) times
    path = "/v1/insights/demand"
    answer = httpx.get(f"{platform.registration_url}{path}", params={"granularity": "day"},
                       headers=signed("GET", path, b""), timeout=10)
    assert answer.status_code == 200, answer.text
    cells = answer.json()["cells"]
    beenhouwer = [{"word": "beenhouwer", "count": 5}]
    assert [(c["municipality"]["nis"], c["category"], c["searches"], c["zero_result_searches"],
             c["zero_result_words"]) for c in cells] == [
        ("44021", "*", 11, 5, beenhouwer), ("44021", "bakker", 6, 0, []), ("44021", "slager", 5, 5, beenhouwer)], cells
    assert cells[0]["municipality"]["name"] == "Gent"
    as_csv = httpx.get(f"{platform.registration_url}{path}", params={"municipality": "Gent"},
                       headers={**signed("GET", path, b""), "Accept": "text/csv"}, timeout=10)
    assert as_csv.text.splitlines()[1].split(",")[1:6] == ["44021", "Gent", "*", "11", "5"]
    assert httpx.get(f"{platform.registration_url}{path}", timeout=10).status_code == 401

    # where to recruit: butchers in Gent (5 searches, none listed) before bakers (6 searches, 2 listed: one of them
    # in Sint-Amandsberg, a locality of Gent); fish in Antwerpen was searched fewer than k times
    path = "/v1/insights/recruit"
    answer = httpx.get(f"{platform.registration_url}{path}", headers=signed("GET", path, b""), timeout=10)
    assert answer.status_code == 200, answer.text
    assert [(o["municipality"]["name"], o["category"]["code"], o["searches"], o["zero_result_searches"],
             o["listings"], o["score"]) for o in answer.json()["opportunities"]] == [
        ("Gent", "slager", 5, 5, 0, 5.0), ("Gent", "bakker", 6, 0, 2, 2.0)]
    as_csv = httpx.get(f"{platform.registration_url}{path}", params={"category": "bakker"},
                       headers={**signed("GET", path, b""), "Accept": "text/csv"}, timeout=10)
    assert as_csv.text.splitlines()[1:] == ["44021,Gent,bakker,6,0,2,2.0"]
    assert httpx.get(f"{platform.registration_url}{path}", timeout=10).status_code == 401
