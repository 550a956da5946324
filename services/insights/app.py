"""The demand insights worker: a faust-streaming app aggregating ``search.performed`` into windowed counts.

At least once, as faust is at home with: an agent reads the searches, adds each to its counts (windows.py) in a
faust table — changelogged to Kafka, restored from it at start — and writes the cells it changed, as absolute
counts, to the Redis sink and the compacted ``insights.demand`` topic, so that a replay converges instead of adding
up. Offsets are committed every
``INSIGHTS_COMMIT_INTERVAL_S`` or every ``INSIGHTS_COMMIT_EVERY`` searches (under load faust commits far less often
than its interval): a worker killed between two commits counts the searches since the last one again when it
restarts (docs/insights.md gives the measured figure). The search events are keyed by municipality and the table
has the topic's partitions, so each table partition lives with the searches that change it.
"""

import logging
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from pydantic import ValidationError
from redis.asyncio import Redis

from services.common import codec
from services.common.events import SearchPerformed
from services.common.topics import PARTITIONS
from services.insights.config import Settings
from services.insights.sink import DemandSink
from services.insights.windows import contributions, count_of

logger = logging.getLogger(__name__)
COUNTED = Counter("buurt_insights_searches_total", "Search events the insights read, by what became of them",
                  ["outcome"])
TABLE = "demand-counts"


def create_app(settings: Settings) -> faust.App:
    app = faust.App(settings.faust_id, broker=f"kafka://{settings.kafka_bootstrap_servers}", store="memory://",
                    processing_guarantee="at_least_once", broker_commit_interval=settings.commit_interval_s,
                    broker_commit_every=settings.commit_every,
                    topic_partitions=PARTITIONS, topic_replication_factor=1, web_host=settings.host,
                    web_port=settings.web_port, datadir=str(settings.data_dir / settings.faust_id))
    searches = app.topic(settings.topics.searches, key_serializer="raw", value_serializer="raw")
    demand = app.topic(settings.topics.demand, key_serializer="raw", value_serializer="raw")
    counts = app.Table(TABLE, default=int, partitions=PARTITIONS)
    sink = DemandSink(Redis.from_url(settings.redis_url), settings.redis_prefix)

    @app.agent(searches)
    async def aggregate(stream: Any) -> None:
        async for value in stream:
            try:
                event = codec.decode(SearchPerformed, value)
            except (ValidationError, ValueError):
                COUNTED.labels("undecodable").inc()
                logger.warning("search event skipped: undecodable")
                continue
            changed = {}
            for key in contributions(event):
                counts[key] += 1
                changed[key] = counts[key]
            await sink.write(changed)
            for key, count in changed.items():  # compacted: a key's latest record is its count
                await demand.send(key=key.encode(), value=codec.encode(count_of(key, count)))
            COUNTED.labels("counted").inc()

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        # ready once the partitions are assigned and the table restored from its changelog (TableManager has
        # the recovery its interface, TableManagerT, does not declare)
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        ready = not app.rebalancing and recovered
        return web.json({"ready": ready}, status=200 if ready else 503)

    return app
