"""Keeps the index in step with the compacted ``listings`` topic: a supervised task (``listings-consumer``) that
commits offsets only after the index applied the changes.

Policy for records that cannot be applied: a record without key or with an undecodable value is skipped, and so is a
change the index refuses for its data (applied one by one to find it); each is logged with its offset and counted in
``buurt_records_skipped_total{task="listings-consumer",reason=...}``; the record stays in the topic. An unreachable
index or broker ends the task with ``RecordFailed``: the supervisor restarts it with backoff from the last committed
offset, and ``/readyz`` names it until it is healthy again.

An index that is not built (Redis lost it while the service ran; another process rebuilds it) refuses the changes
(``IndexLost``), and is checked every second while no change comes: the task then rebuilds it (rebuild.py), or waits
for the process that does, and follows the topic again from the committed offsets.
"""

import logging
from collections.abc import Awaitable, Callable

from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter
from redis.exceptions import RedisError, ResponseError

from services.common import codec
from services.common.codec import DecodeError
from services.common.consuming import Apply, follow
from services.common.events import Listing
from services.common.supervisor import SKIPPED, RecordFailed, TaskHandle
from services.search.built import BuiltCheck
from services.search.index import IndexLost, ListingIndex, RedisListingIndex
from services.search.rebuild import ensure_built

logger = logging.getLogger(__name__)
TASK = "listings-consumer"
LOST = Counter("buurt_search_index_lost_total", "Times the listings consumer found the index not built (lost)")
APPLIED = Counter("buurt_search_listing_changes_total", "Listing changes applied to the index", ["kind"])
Change = tuple[str, Listing | None]


async def run_consumer(bootstrap: str, topic: str, group_id: str, index: RedisListingIndex,
                       handle: TaskHandle) -> None:
    """Follow the topic into the index until cancelled; (re)build the index first whenever it is not built."""
    while True:
        handle.unhealthy()
        await ensure_built(bootstrap, topic, index)
        try:
            await follow(bootstrap, topic, group_id, handle, _applier(index), max_records=1000,
                         idle=_still_built(index))
        except IndexLost:
            LOST.inc()
            logger.warning("search index lost; rebuilding it from the listings topic")


def _applier(index: ListingIndex) -> Apply:
    async def apply(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        changes = [(record, change) for record in records if (change := _change(record)) is not None]
        if changes:
            await _apply(index, changes)

    return apply


def _still_built(index: ListingIndex) -> Callable[[], Awaitable[None]]:
    checked = BuiltCheck(index)

    async def check() -> None:
        if not await checked.built():
            raise IndexLost

    return check


async def _apply(index: ListingIndex, changes: list[tuple[ConsumerRecord[bytes, bytes], Change]]) -> None:
    try:
        await index.apply([change for _, change in changes], guarded=True)
    except ResponseError:  # the index refuses one of the changes for its data: find it, apply the others
        for record, change in changes:
            try:
                await index.apply([change], guarded=True)
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
