"""Demand insights: search events aggregated per second by the faust worker (buurt-insights, as a process, until its
Redis counts hold every event) beside a raw aiokafka consumer reading the same topic."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from aiokafka import AIOKafkaProducer

from services.common import codec
from services.common.events import SearchPerformed
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.infra import process

MUNICIPALITIES = ("44021", "11002", "21004", "24062", "31005", "35013", "41002", "46021", "52011", "62063",
                  "71022", "92094", "23062", "12025", "13040", "37015", "44083", "45041", "57081", "63079")
CATEGORIES = ("bakker", "slager", "vis", "kaas-zuivel", "wijn", "bio")


def run(bootstrap: str, redis_url: str, topics: Topics, logs: Path, count: int) -> dict[str, Any]:
    asyncio.run(_fill(bootstrap, topics.searches, count))
    started = time.perf_counter()
    raw = len(asyncio.run(read_topic(bootstrap, topics.searches)))
    raw_s = time.perf_counter() - started
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "REDIS_URL": redis_url,
           "BUURT_TOPIC_PREFIX": topics.prefix, "INSIGHTS_REDIS_PREFIX": topics.prefix,
           "INSIGHTS_WEB_PORT": str(process.free_port()), "INSIGHTS_DATA_DIR": str(logs / "faust"),
           "BUURT_LOG_LEVEL": "WARNING"}
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "insights.log").open("ab") as log:
        worker = subprocess.Popen([str(Path(sys.executable).parent / "buurt-insights")], env=env, stdout=log,  # noqa: S603
                                  stderr=subprocess.STDOUT)
    try:
        started = time.perf_counter()
        if not process.until(lambda: _counted(client, topics.prefix) >= count, 600):
            raise RuntimeError(f"the insights worker counted {_counted(client, topics.prefix)} of {count}")
        faust_s = time.perf_counter() - started  # includes the worker's start-up
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    return {"events": count, "raw_read_per_s": round(raw / raw_s), "insights_per_s": round(count / faust_s),
            "insights_to_raw_ratio": round((count / faust_s) / (raw / raw_s), 4)}


def _counted(client: redis.Redis, prefix: str) -> int:
    total = 0
    for key in client.keys(f"{prefix}insights:week:*"):
        total += sum(int(v) for field, v in client.hgetall(key).items() if str(field).endswith("|*|searches"))
    return total


async def _fill(bootstrap: str, topic: str, count: int) -> None:
    rng = random.Random(17)  # noqa: S311 - reproducible data, not security
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        start = datetime(2026, 11, 23, tzinfo=UTC)
        times = sorted(rng.randrange(7 * 24 * 3600) for _ in range(count))  # a week of searches, in time order
        for i, second in enumerate(times):
            nis = rng.choice(MUNICIPALITIES)
            event = SearchPerformed(at=start + timedelta(seconds=second),
                                    municipality_nis=nis, postcode="9000", radius_km=10,
                                    categories=(rng.choice(CATEGORIES),), words=("bakker",),
                                    results=rng.choice((0, 0, 3, 12)), page=1)
            await producer.send(topic, codec.encode(event), key=nis.encode())
            if i % 10_000 == 0:
                await producer.flush()
        await producer.flush()
    finally:
        await producer.stop()
