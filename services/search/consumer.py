"""Keeps the index in step with the compacted ``listings`` topic: a supervised task (``listings-consumer``) that
commits offsets only after the index applied the changes.

Policy for records that cannot be applied: a record without key or with an undecodable value is skipped, and so is a
change the index refuses for its data (applied one by one to find it); each is logged with its offset and counted in
``buurt_records_skipped_total{task="listings-consumer",reason=...}``; the record stays in the topic. An unreachable
index or broker ends the task with ``RecordFailed``: the supervisor restarts it with backoff from the last committed
offset, and ``/readyz`` names it until it is healthy again.

An index that is not built (Redis lost it while the service ran; another process rebuilds it) refuses the changes
(``IndexLost``), and is checked every second while no change comes: the task then rebuilds it (rebuild.py), or waits
for the process that does, and follows the topic again.

The index keeps, with its changes, the offset of the last change it holds of each partition; reading resumes there
when partitions are assigned (not at the group's committed offsets, which an index restored from an older state may
be behind). An index found elsewhere than the consumer left it (a failover to a replica that missed changes) refuses
the batch (``IndexBehind``): the task reads on from the index's own positions, applying what it missed again.
"""

import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import Counter
from redis.exceptions import RedisError, ResponseError

from services.common import codec
from services.common.codec import DecodeError
from services.common.consuming import Apply, follow
from services.common.events import Listing
from services.common.supervisor import SKIPPED, RecordFailed, TaskHandle
from services.search.built import BuiltCheck
from services.search.index import Advance, IndexBehind, IndexLost, ListingIndex, RedisListingIndex
from services.search.rebuild import ensure_built

logger = logging.getLogger(__name__)
TASK = "listings-consumer"
LOST = Counter("buurt_search_index_lost_total", "Times the listings consumer found the index not built (lost)")
BEHIND = Counter("buurt_search_index_behind_total",
                 "Times the listings consumer found the index elsewhere than it left it (a failover to a lagging "
                 "replica)")
APPLIED = Counter("buurt_search_listing_changes_total", "Listing changes applied to the index", ["kind"])
Change = tuple[str, Listing | None]


async def run_consumer(bootstrap: str, topic: str, group_id: str, index: RedisListingIndex,
                       handle: TaskHandle) -> None:
    """Follow the topic into the index until cancelled; (re)build the index first whenever it is not built."""
    while True:
        handle.unhealthy()
        await ensure_built(bootstrap, topic, index)
        positions = Positions(index)
        try:
            await follow(bootstrap, topic, group_id, handle, _applier(index, positions), max_records=1000,
                         idle=_still_current(index, positions), on_assign=positions.assigned)
        except IndexLost:
            LOST.inc()
            logger.warning("search index lost; rebuilding it from the listings topic")
        except IndexBehind as behind:
            BEHIND.inc()
            logger.warning("search index behind the topic (%s); reading on from its own positions", behind)


class Positions:
    """Where the consumer left the index, per partition: the index's own positions when partitions are assigned
    (reading resumes after them), then moved with each batch."""

    def __init__(self, index: ListingIndex) -> None:
        self.index = index
        self.expected: dict[int, int] = {}
        self.unknown: Exception | None = None  # why the positions could not be read at the last assignment

    async def assigned(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        try:
            held = await self.index.positions()
        except (RedisError, OSError) as exc:  # aiokafka would only log it: raised with the next batch instead
            self.unknown = exc
            return
        self.unknown = None
        self.expected = {tp.partition: held[tp.partition] for tp in partitions if tp.partition in held}
        for tp in partitions:
            if tp.partition in held:
                consumer.seek(tp, held[tp.partition] + 1)

    def advances(self, records: list[ConsumerRecord[bytes, bytes]]) -> list[Advance]:
        if self.unknown is not None:
            raise self.unknown
        last: dict[int, int] = {}
        for record in records:
            last[record.partition] = max(last.get(record.partition, -1), record.offset)
        return [Advance(partition, self.expected.get(partition), to) for partition, to in sorted(last.items())]

    def moved(self, advances: list[Advance]) -> None:
        self.expected.update({advance.partition: advance.to for advance in advances})

    async def check(self) -> None:
        """IndexBehind when the index holds less of a partition than the consumer applied."""
        if self.unknown is not None:
            raise self.unknown
        held = await self.index.positions()
        behind = {p: (held.get(p, -1), at) for p, at in self.expected.items() if held.get(p, -1) < at}
        if behind:
            raise IndexBehind(", ".join(f"partition {p} at {h}, not {at}" for p, (h, at) in sorted(behind.items())))


def _applier(index: ListingIndex, positions: Positions) -> Apply:
    async def apply(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        changes = [(record, change) for record in records if (change := _change(record)) is not None]
        advances = positions.advances(records)
        await _apply(index, changes, advances, records[0])
        positions.moved(advances)

    return apply


def _still_current(index: ListingIndex, positions: Positions) -> Callable[[], Awaitable[None]]:
    """While no change comes, once a second: the index is still built, and holds what the consumer applied."""
    checked = BuiltCheck(index)

    async def check() -> None:
        asked_at = checked.asked_at
        if not await checked.built():
            raise IndexLost
        if checked.asked_at != asked_at:  # asked again: the positions too
            await positions.check()

    return check


async def _apply(index: ListingIndex, changes: list[tuple[ConsumerRecord[bytes, bytes], Change]],
                 advances: list[Advance], first: ConsumerRecord[bytes, bytes]) -> None:
    try:
        try:
            await index.apply([change for _, change in changes], guarded=True, advances=advances)
        except ResponseError:  # the index refuses one of the changes for its data: find it, apply the others
            for record, change in changes:
                try:
                    await index.apply([change], guarded=True)
                except ResponseError:
                    _skip(record, "unindexable", "the index refused the listing")
            await index.apply([], guarded=True, advances=advances)
    except (RedisError, OSError) as exc:
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
