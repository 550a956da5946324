"""Rebuilding the index from the compacted ``listings`` topic: by the listings consumer when the index is not built
(a new Redis, or one that lost its data while the service ran), or by ``buurt-search reindex``.

One process rebuilds at a time (a Redis lock, extended while it works, so a process that dies mid-rebuild holds it
for LOCK_S at most); the others wait for the index to be built.
The index is unbuilt from the moment the rebuild clears it, so the consumers' changes are refused meanwhile and read
again, after the rebuild, from their committed offsets: a change newer than the rebuild's read of the topic is never
overwritten by the older value the rebuild read."""

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from redis.asyncio.lock import Lock

from services.common import codec
from services.common.codec import DecodeError
from services.common.events import Listing
from services.common.topic_reader import read_topic
from services.search.index import ListingIndex, RedisListingIndex

logger = logging.getLogger(__name__)
BATCH = 1000
LOCK_S = 30.0
WAIT_S = 0.5


async def rebuild(bootstrap: str, topic: str, index: ListingIndex) -> int:
    """Replace the index with the latest value of every key of the topic, then mark it built, holding the topic up to
    the last record read of each partition; returns the number of listings."""
    latest: dict[str, bytes | None] = {}
    positions: dict[int, int] = {}
    await index.clear()
    for record in await read_topic(bootstrap, topic):
        positions[record.partition] = max(positions.get(record.partition, -1), record.offset)
        if record.key is not None:
            latest[record.key.decode()] = record.value
    listings: list[tuple[str, Listing | None]] = []
    for number, value in latest.items():
        if value is None:
            continue
        try:
            listings.append((number, codec.decode(Listing, value)))
        except DecodeError as exc:
            logger.warning("undecodable listing skipped: %s", exc.reason)
    for start in range(0, len(listings), BATCH):
        await index.apply(listings[start:start + BATCH])
    await index.mark_built(positions)
    logger.info("index rebuilt", extra={"listings": len(listings)})
    return len(listings)


async def reindex(bootstrap: str, topic: str, index: RedisListingIndex) -> int:
    """Rebuild the index now (``buurt-search reindex``), once the process rebuilding it, if any, is done."""
    lock = _lock(index)
    await lock.acquire(blocking=True)
    return await _holding(lock, rebuild(bootstrap, topic, index))


async def ensure_built(bootstrap: str, topic: str, index: RedisListingIndex) -> None:
    """Return once the index is built in this version's layout: rebuilt by this process if no other one is at it."""
    while not (await index.is_built() and await index.format_current()):
        lock = _lock(index)
        if await lock.acquire(blocking=False):
            await _holding(lock, rebuild(bootstrap, topic, index))
        else:
            await asyncio.sleep(WAIT_S)  # another process rebuilds it


async def _holding(lock: Lock, work: Coroutine[Any, Any, int]) -> int:
    """Do the work while holding the lock: extended every third of its lifetime, released at the end (a process that
    dies while rebuilding holds it LOCK_S at most)."""
    done = asyncio.Event()

    async def run() -> int:
        try:
            return await work
        finally:
            done.set()

    async def keep() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), LOCK_S / 3)
            if not done.is_set():
                await lock.extend(LOCK_S, replace_ttl=True)

    try:
        async with asyncio.TaskGroup() as group:  # one failing cancels the other
            rebuilt = group.create_task(run())
            group.create_task(keep())
        return rebuilt.result()
    finally:
        await lock.release()


def _lock(index: RedisListingIndex) -> Lock:
    return index.redis.lock(index.key("rebuilding"), timeout=LOCK_S, sleep=WAIT_S)
