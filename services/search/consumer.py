"""Keeps the index in step with the compacted ``listings`` topic: a supervised task (``listings-consumer``) that
commits offsets only after the index applied the changes.

Policy for records that cannot be applied: a record without key or with an undecodable value is skipped, and so is a
change the index refuses for its data (applied one by one to find it); each is logged with its offset and counted in
``buurt_records_skipped_total{task="listings-consumer",reason=...}``; the record stays in the topic. An unreachable
index or broker ends the task with ``RecordFailed``: the supervisor restarts it with backoff from the last committed
offset, and ``/readyz`` names it until it is healthy again.
"""

import logging

from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter
from redis.exceptions import RedisError, ResponseError

from services.common import codec
from services.common.codec import DecodeError
from services.common.consuming import follow
from services.common.events import Listing
from services.common.supervisor import SKIPPED, RecordFailed, TaskHandle
from services.search.index import ListingIndex
from services.search.rebuild import rebuild

logger = logging.getLogger(__name__)
TASK = "listings-consumer"
APPLIED = Counter("buurt_search_listing_changes_total", "Listing changes applied to the index", ["kind"])
Change = tuple[str, Listing | None]


async def run_consumer(bootstrap: str, topic: str, group_id: str, index: ListingIndex, handle: TaskHandle) -> None:
    """Rebuild the index first when it is empty or of an older layout, then follow the topic until cancelled."""
    if (await index.count() == 0 and await index.generation() == 0) or not await index.format_current():
        await rebuild(bootstrap, topic, index)

    async def apply(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        changes = [(record, change) for record in records if (change := _change(record)) is not None]
        if changes:
            await _apply(index, changes)

    await follow(bootstrap, topic, group_id, handle, apply, max_records=1000)


async def _apply(index: ListingIndex, changes: list[tuple[ConsumerRecord[bytes, bytes], Change]]) -> None:
    try:
        await index.apply([change for _, change in changes])
    except ResponseError:  # the index refuses one of the changes for its data: find it, apply the others
        for record, change in changes:
            try:
                await index.apply([change])
            except ResponseError:
                _skip(record, "unindexable", "the index refused the listing")
    except (RedisError, OSError) as exc:
        first = changes[0][0]
        raise RecordFailed(first.topic, first.partition, first.offset) from exc
    for _, (_, listing) in changes:
        APPLIED.labels("upsert" if listing else "remove").inc()


def _change(record: ConsumerRecord[bytes, bytes]) -> Change | None:
    try:
        number = (record.key or b"").decode()
    except UnicodeDecodeError:
        number = ""
    if not number:
        _skip(record, "no_key", "a listing record without a readable key")
        return None
    if record.value is None:
        return number, None
    try:
        return number, codec.decode(Listing, record.value)
    except DecodeError as exc:
        _skip(record, "undecodable", exc.reason)
        return None


def _skip(record: ConsumerRecord[bytes, bytes], reason: str, detail: str) -> None:
    SKIPPED.labels(TASK, reason).inc()
    logger.warning("listing record skipped", extra={"topic": record.topic, "partition": record.partition,
                                                   "offset": record.offset, "reason": reason, "detail": detail})
