"""Pipeline: submitted (on ``registrations.submitted``, as partners' Kafka exports arrive) -> decided (consent
worker) -> listed -> searchable (in the search service's Redis index), both services as real processes.

- backfill: N registrations already waiting when the services start; the time until all of them are searchable
  gives the sustained rate;
- latency: an open-loop producer at 50 % and 80 % of that rate for a while; each registration's latency is from
  its send to the moment it is in the index (the index is polled every 20 ms with ZMSCORE);
- withdrawals: the backfilled businesses withdrawn by their partner at 50 % of that rate; each latency is from its
  send to the moment the business is gone from the index. The same Redis script that removes it moves the index
  generation, which every query-cache key carries, so gone from the index is gone from the cache at that instant;
- resident memory of each service at the end.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from bench.common import ms, wire_events, wire_withdrawals
from services.common.topics import Topics
from services.infra import process
from tests.platform import running_platform

POLL_S = 0.02


async def _fill(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                max_batch_size=256 * 1024)
    await producer.start()
    try:
        for start in range(0, len(records), 10_000):
            await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in records[start:start + 10_000]])
    finally:
        await producer.stop()


async def _wait_indexed(redis_url: str, geo: str, count: int, limit_s: float) -> float:
    redis = Redis.from_url(redis_url)
    deadline = time.monotonic() + limit_s
    try:
        while int(await redis.zcard(geo)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{await redis.zcard(geo)} of {count} searchable after {limit_s} s")
            await asyncio.sleep(0.1)
        return time.perf_counter()
    finally:
        await redis.aclose()


async def _latencies(bootstrap: str, redis_url: str, topic: str, geo: str, records: list[tuple[bytes, bytes]],
                     rate: float, listed: bool = True) -> list[float]:
    """Send ``records`` at ``rate`` per second; seconds from each send to its business being in the index
    (``listed``) or gone from it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=1)
    redis = Redis.from_url(redis_url)
    sent: dict[str, float] = {}
    seen: list[float] = []
    await producer.start()

    async def watch() -> None:
        while len(seen) < len(records):
            await asyncio.sleep(POLL_S)
            pending = list(sent)
            if pending:
                now = time.perf_counter()
                for key, score in zip(pending, await redis.zmscore(geo, pending), strict=True):
                    if (score is not None) == listed:
                        seen.append(now - sent.pop(key))

    watcher = asyncio.create_task(watch())
    try:
        start = time.perf_counter()
        for i, (key, value) in enumerate(records):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            await producer.send(topic, value, key=key)
            sent[key.decode()] = start + i / rate  # from the scheduled send: a slow producer does not hide the queue
        await asyncio.wait_for(watcher, timeout=120)
        return seen
    finally:
        watcher.cancel()
        await producer.stop()
        await redis.aclose()


def run(bootstrap: str, redis_url: str, topics: Topics, logs: Path, backfill: int, seconds: float,
        ) -> dict[str, Any]:
    records = wire_events(backfill, first=0)
    asyncio.run(_fill(bootstrap, topics.submitted, records))
    geo = f"{topics.prefix}buurt:idx:geo"
    figures: dict[str, Any] = {"backfill": len(records)}
    with running_platform(bootstrap, redis_url, topics, logs, names=("buurt-consent", "buurt-search")) as platform:
        started = time.perf_counter()  # both services ready: assigned, state restored
        finished = asyncio.run(_wait_indexed(redis_url, geo, len(records), limit_s=3600))
        rate = len(records) / (finished - started)
        figures |= {"backfill_s": round(finished - started, 1), "sustained_per_s": round(rate)}
        for share in (50, 80):
            load = wire_events(int(rate * share / 100 * seconds), first=backfill + share * 100_000)
            latencies = asyncio.run(_latencies(bootstrap, redis_url, topics.submitted, geo, load, rate * share / 100))
            figures |= {f"at_{share}pct_p50_ms": ms(latencies, 50), f"at_{share}pct_p95_ms": ms(latencies, 95),
                        f"at_{share}pct_p99_ms": ms(latencies, 99)}
        withdrawals = wire_withdrawals(0, min(len(records), int(rate * 0.5 * seconds)))
        latencies = asyncio.run(_latencies(bootstrap, redis_url, topics.submitted, geo, withdrawals, rate * 0.5,
                                           listed=False))
        figures |= {"withdrawal_at_50pct_p50_ms": ms(latencies, 50), "withdrawal_at_50pct_p95_ms": ms(latencies, 95),
                    "withdrawal_at_50pct_p99_ms": ms(latencies, 99)}
        figures |= {f"{name.removeprefix('buurt-')}_rss_mib": process.rss_mib(pid)
                    for name, pid in platform.pids.items()}
    return figures
