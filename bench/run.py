"""Measure what the foundation offers, each figure beside its baseline, on local Kafka and Redis.

    python -m bench.run [--events N] [--listings N] [--queries N]

Scenarios: ingest (KafkaPublisher, as used by the registration API, versus a raw aiokafka producer sending the same
encoded events) and search (ListingIndex near + fetch versus raw GEOSEARCH). Numbers go to
bench/results/<timestamp>.json; nothing is asserted.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from services.common import codec
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, process, redis_server
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from services.registration.publisher import KafkaPublisher
from services.search.cache import QueryCache
from services.search.index import ListingIndex
from services.search.query import build_query
from services.search.service import Searcher
from services.search.stats import VisitorStats
from tests.samples import fresh_enterprise_number, registration_body
from tests.search_samples import listing

RESULTS = Path(__file__).with_name("results")


async def ingest(bootstrap: str, events: int) -> dict[str, float]:
    topics = Topics(f"bench{uuid.uuid4().hex[:6]}.")
    await create_topics(bootstrap, topics)
    payloads = [build_submitted(RegistrationIn.model_validate(registration_body(fresh_enterprise_number())),
                                "unizo-winkelhier", uuid.uuid4(), datetime.now(UTC)) for _ in range(events)]
    records = [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in payloads]
    publisher = KafkaPublisher(bootstrap, timeout_s=30)
    await publisher.start()
    started = time.perf_counter()
    await asyncio.gather(*(publisher.publish(topics.submitted, k, v) for k, v in records))
    ours = events / (time.perf_counter() - started)
    await publisher.stop()
    raw = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await raw.start()
    started = time.perf_counter()
    await asyncio.gather(*(raw.send_and_wait(topics.submitted, v, key=k) for k, v in records))
    baseline = events / (time.perf_counter() - started)
    await raw.stop()
    return {"publisher_events_per_s": round(ours), "raw_producer_events_per_s": round(baseline),
            "ratio": round(ours / baseline, 3)}


async def search(redis_url: str, listings: int, queries: int) -> dict[str, float]:
    """Uncached and cached searches (the service's Searcher) versus raw GEOSEARCH of the same radius."""
    redis = Redis.from_url(redis_url)
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    index = ListingIndex(redis, f"{prefix}idx:")
    searcher = Searcher(index, QueryCache(redis, f"{prefix}cache:", 600), VisitorStats(redis, f"{prefix}stats:"))
    rng = random.Random(7)  # noqa: S311 - reproducible load, not security
    shops = [(f"{i:010d}", listing(f"{i:010d}", rng.uniform(50.7, 51.3), rng.uniform(3.0, 5.0), name=f"Winkel {i}"))
             for i in range(listings)]
    for start in range(0, listings, 1000):
        await index.apply(shops[start:start + 1000])
    points = [(rng.uniform(50.8, 51.2), rng.uniform(3.2, 4.8)) for _ in range(queries)]
    uncached, cached, raw = [], [], []
    for lat, lon in points:
        query = build_query(lat, lon, None, 5, [], False, False, False, 1, 20)
        uncached.append(await _timed(searcher.search(query)))
        cached.append(await _timed(searcher.search(query)))
        raw.append(await _timed(redis.geosearch(index.keys.geo, longitude=lon, latitude=lat, radius=5, unit="km",
                                                sort="ASC", withdist=True)))
    async for key in redis.scan_iter(match=f"{prefix}*", count=5000):
        await redis.delete(key)
    await redis.aclose()
    return {"listings": listings, "queries": queries,
            "uncached_p50_ms": _ms(uncached, 50), "uncached_p99_ms": _ms(uncached, 99),
            "cached_p50_ms": _ms(cached, 50), "cached_p99_ms": _ms(cached, 99),
            "raw_geosearch_p50_ms": _ms(raw, 50), "raw_geosearch_p99_ms": _ms(raw, 99)}


async def _timed(awaitable: Any) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


def _ms(samples: list[float], pct: int) -> float:
    return round(statistics.quantiles(samples, n=100)[pct - 1] * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--listings", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    broker = kafka.KafkaNode(home / "kafka", process.free_port(), process.free_port())
    cache = redis_server.RedisNode(home / "redis", process.free_port(), appendonly=False)
    kafka.start(broker)
    redis_server.start(cache)
    try:
        figures: dict[str, Any] = {
            "ingest": asyncio.run(ingest(broker.bootstrap, args.events)),
            "search": asyncio.run(search(cache.url, args.listings, args.queries)),
        }
    finally:
        kafka.stop(broker)
        redis_server.stop(cache)
    report = {"at": datetime.now(UTC).isoformat(), "machine": {"python": platform.python_version(),
              "platform": platform.platform(), "cpus": os.cpu_count()},
              "kafka": kafka.KAFKA_VERSION, "args": vars(args), "figures": figures}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print("| scenario | figure | value |\n|---|---|---|")
    for scenario, values in figures.items():
        for name, value in values.items():
            print(f"| {scenario} | {name} | {value} |")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
