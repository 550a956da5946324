"""Demand insights: how long the faust worker takes to restore its table from the changelog at start-up (from its
start until its /readyz answers 200: partitions assigned, table restored, open cells indexed) and its resident
memory then, for a year (``recovery_days``) of hourly windows of 300 municipalities (searches and searches without
results, per hour, day and ISO week):

- ``held_year``: the table holding the whole year, as it did before windows closed (the baseline): one record per
  cell, the changelog compacted;
- ``retention``: the same year as the worker leaves it now (services/insights/retention.py) and Kafka compacts it
  (services/common/topics.DEMAND_COUNTS_CHANGELOG_CONFIGS): the open windows' cells, the cells closed in the last
  day with their tombstones (kept ``delete.retention.ms``), the last hour's updates not yet compacted (at 100,000
  searches a day), the watermarks;
- ``empty``: no record (the worker's own start-up).

The changelog is written with kcat (millions of records in seconds), partitioned as the worker writes it.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.common import places
from services.common.kafka_admin import create_topics
from services.common.topics import DEMAND_COUNTS_CHANGELOG_CONFIGS, PARTITIONS, Topics
from services.infra import process
from services.insights.retention import partition_of, watermark_key
from services.insights.windows import GRANULARITIES, Granularity, cell_key, window_end, window_start

MUNICIPALITIES = 300
GRACE_S = 3600  # the worker's default (INSIGHTS_GRACE_S)
DAY_S = 24 * 3600  # delete.retention.ms: how long a tombstone outlives compaction
# The last hour's updates of each open cell not yet compacted: at 100,000 searches a day, ~4,200 an hour over
# 300 municipalities, each changing its cells ~14 times.
UPDATES_PER_CELL = 14
NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)
Record = tuple[str, str | None]  # key, value (None: a tombstone)


def run(bootstrap: str, redis_url: str, logs: Path, days: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"municipalities": MUNICIPALITIES, "days": days}
    for name, records in (("empty", iter(())), ("retention", _after(days)), ("held_year", _held(days))):
        figures |= {f"{name}_{key}": value for key, value in _restore(bootstrap, redis_url, logs / name,
                                                                      records).items()}
    return figures


def _restore(bootstrap: str, redis_url: str, logs: Path, records: Iterator[Record]) -> dict[str, float]:
    prefix = f"rec{uuid.uuid4().hex[:6]}."
    asyncio.run(create_topics(bootstrap, Topics(prefix)))  # the worker's source topic among them
    topic = f"{prefix}buurt-insights-demand-counts-changelog"
    logs.mkdir(parents=True, exist_ok=True)
    written = _write(bootstrap, topic, records, logs)
    port = process.free_port()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "REDIS_URL": redis_url, "BUURT_TOPIC_PREFIX": prefix,
           "INSIGHTS_REDIS_PREFIX": prefix, "INSIGHTS_WEB_PORT": str(port), "INSIGHTS_DATA_DIR": str(logs / "faust"),
           "BUURT_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    with (logs / "insights.log").open("ab") as log:
        worker = subprocess.Popen([str(Path(sys.executable).parent / "buurt-insights")], env=env, stdout=log,  # noqa: S603
                                  stderr=subprocess.STDOUT)
    try:
        if not process.until(lambda: _ready(port), 1800, interval=0.2):
            raise RuntimeError(f"the insights worker did not restore {written} records in 30 minutes")
        seconds = time.perf_counter() - started
        rss = process.rss_mib(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
    return {"records": written, "ready_s": round(seconds, 1), "rss_mib": round(rss)}


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _write(bootstrap: str, topic: str, records: Iterator[Record], work: Path) -> int:
    """Each partition's records through kcat (keys and values tab-separated; an empty value is a tombstone)."""
    files = [(work / f"p{p}.tsv").open("w") for p in range(PARTITIONS)]
    count = 0
    for key, value in records:
        files[_partition(key)].write(f'"{key}"\t{value or ""}\n')  # faust's table: keys and values in JSON
        count += 1
    for file in files:
        file.close()
    asyncio.run(_create(bootstrap, topic))
    for p in range(PARTITIONS):
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(p), "-K", "\t", "-Z",  # noqa: S603, S607
                        "-l", str(work / f"p{p}.tsv")], check=True, capture_output=True)
    return count


async def _create(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1, topic_configs=DEMAND_COUNTS_CHANGELOG_CONFIGS)])
    finally:
        await admin.close()


def _partition(key: str) -> int:
    return int(key.rsplit("|", 1)[1]) if key.startswith("~") else partition_of(key, PARTITIONS)


def _held(days: int) -> Iterator[Record]:
    for granularity, start in _windows(NOW - timedelta(days=days), NOW):
        yield from ((key, "7") for key in _cells(granularity, start))


def _after(days: int) -> Iterator[Record]:
    now = int(NOW.timestamp())
    for granularity, start in _windows(NOW - timedelta(days=days), NOW):
        closes = int(window_end(start, granularity).timestamp()) + GRACE_S
        if closes > now:  # open: the last hour's updates, not compacted yet, then the latest value
            for key in _cells(granularity, start):
                yield from ((key, str(n)) for n in range(1, UPDATES_PER_CELL + 1))
        elif closes > now - DAY_S:  # closed in the last day: its cells and their tombstones
            for key in _cells(granularity, start):
                yield key, "7"
                yield key, None
    yield from ((watermark_key(p), str(now)) for p in range(PARTITIONS))


def _windows(first: datetime, last: datetime) -> Iterator[tuple[Granularity, datetime]]:
    for granularity in GRANULARITIES:
        start = window_start(first, granularity)
        while start <= last:
            yield granularity, start
            start = window_end(start, granularity)


def _cells(granularity: Granularity, start: datetime) -> Iterator[str]:
    for nis in _municipalities():
        for measure in ("searches", "zero"):
            yield cell_key(granularity, start, nis, "*", measure)


@lru_cache(maxsize=1)
def _municipalities() -> list[str]:
    return sorted(places.localities_of())[:MUNICIPALITIES]
