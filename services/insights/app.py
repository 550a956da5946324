"""The demand insights worker: a faust-streaming app aggregating ``search.performed`` into windowed counts.

At least once, as faust is at home with: an agent reads the searches and adds each to its counts (windows.py) in a
faust table — changelogged to Kafka, restored from it at start, holding the open windows only (retention.py) — and
a timer writes the cells changed since its last run, as absolute counts, to the Redis sink and the compacted
``insights.demand`` topic (``INSIGHTS_FLUSH_INTERVAL_S``), so that a replay converges instead of adding up; after
every recovery the whole table is written again. Offsets are committed every ``INSIGHTS_COMMIT_INTERVAL_S`` or
every ``INSIGHTS_COMMIT_EVERY`` searches (under load faust commits far less often than its interval): a worker
killed between two commits counts the searches since the last one again when it restarts (docs/insights.md gives
the measured figure). The search events are keyed by municipality and the table has the topic's partitions, so
each table partition lives with the searches that change it.
"""

import logging
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest
from pydantic import ValidationError

from services.common import codec, kafka_client, redis_client
from services.common.events import SearchPerformed
from services.common.topics import DEMAND_COUNTS_CHANGELOG_CONFIGS, PARTITIONS
from services.insights.config import Settings
from services.insights.retention import Closing, is_open, next_watermark, watermark_key
from services.insights.sink import DemandSink
from services.insights.windows import contributions, count_of

logger = logging.getLogger(__name__)
COUNTED = Counter("buurt_insights_searches_total", "Search events the insights read, by what became of them",
                  ["outcome"])
FLUSHES = Counter("buurt_insights_flushes_total", "Writes of the changed counts to Redis and insights.demand",
                  ["outcome"])
TABLE = "demand-counts"


def create_app(settings: Settings) -> faust.App:
    app = faust.App(settings.faust_id, broker=f"kafka://{settings.kafka_bootstrap_servers}", store="memory://",
                    processing_guarantee="at_least_once", broker_commit_interval=settings.commit_interval_s,
                    broker_commit_every=settings.commit_every,
                    producer_linger=settings.producer_linger_s,
                    topic_partitions=PARTITIONS, topic_replication_factor=settings.replication_factor,
                    broker_credentials=_credentials(), web_host=settings.host,
                    web_port=settings.web_port, datadir=str(settings.data_dir / settings.faust_id))
    searches = app.topic(settings.topics.searches, key_serializer="raw", value_serializer="raw")
    demand = app.topic(settings.topics.demand, key_serializer="raw", value_serializer="raw")
    counts = app.Table(TABLE, default=int, partitions=PARTITIONS, extra_topic_configs=DEMAND_COUNTS_CHANGELOG_CONFIGS)
    sink = DemandSink(redis_client.connect(settings), settings.redis_prefix)
    closing = Closing(settings.grace_s, PARTITIONS)
    dirty: dict[str, int] = {}  # cells changed since the sinks were last written, with their counts

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]  # faust's stub wants a positional-only sender
    async def recovered(sender: Any, **_: Any) -> None:
        # The table as restored: its open cells to close in time, and every count written again, since a worker
        # killed before writing the sinks left some behind. Only the partitions this worker now holds: faust's
        # memory store keeps those another worker took over, and their counts here may be old.
        held = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == searches.get_topic_name()}
        dirty.update((key, counts[key]) for key in closing.rebuild(list(counts.keys()), held))

    @app.agent(searches)
    async def aggregate(stream: Any) -> None:
        async for message in stream.events():
            event = _decoded(message.value)
            if event is None:
                continue
            partition = message.message.partition
            watermark = counts[watermark_key(partition)]
            late = False
            for key in contributions(event):
                if not is_open(key, watermark, settings.grace_s):
                    late = True  # its window is closed: counting it would restart it at 1
                    continue
                counts[key] += 1
                dirty[key] = counts[key]
                closing.add(partition, key)
            moved = next_watermark(watermark, event.at, datetime.now(UTC))
            if moved is not None:
                counts[watermark_key(partition)] = moved
                for key in closing.closed(partition, moved):
                    del counts[key]  # its final count stays in the sinks (dirty until written)
            COUNTED.labels("late" if late else "counted").inc()  # late: left out of the windows already closed

    @app.timer(settings.flush_interval_s)  # type: ignore[untyped-decorator]
    async def flush() -> None:
        """The changed cells to the sinks, as absolute counts (a cell changed by many searches is written once)."""
        if not dirty:
            return
        batch = dict(dirty)
        dirty.clear()
        try:
            await sink.write(batch)
            for key, count in batch.items():  # compacted: a key's latest record is its count
                await demand.send(key=key.encode(), value=codec.encode(count_of(key, count)))
        except Exception:
            FLUSHES.labels("failed").inc()
            logger.exception("demand counts not written; retried at the next flush")
            for key, count in batch.items():
                dirty.setdefault(key, count)  # unless counted again meanwhile
            return
        FLUSHES.labels("written").inc()

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


def _decoded(value: bytes) -> SearchPerformed | None:
    try:
        return codec.decode(SearchPerformed, value)
    except (ValidationError, ValueError):
        COUNTED.labels("undecodable").inc()
        logger.warning("search event skipped: undecodable")
        return None


def _credentials() -> faust.SASLCredentials | None:
    """This process's Kafka principal (services/common/kafka_client.py), for faust's clients."""
    auth = kafka_client.auth()
    if not auth.secured or auth.ssl_cafile is None:
        return None
    return faust.SASLCredentials(username=auth.sasl_username, password=auth.sasl_password.get_secret_value(),
                                 ssl_context=create_ssl_context(cafile=str(auth.ssl_cafile)),
                                 mechanism=kafka_client.MECHANISM)
