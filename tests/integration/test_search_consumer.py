import asyncio

import pytest
from redis.asyncio import Redis

from services.common import codec
from services.common.events import Channels
from services.common.supervisor import TaskHandle, supervised
from services.common.topics import Topics
from services.search import consumer
from services.search import rebuild as rebuild_module
from services.search.index import RedisListingIndex
from services.search.query import build_query
from services.search.rebuild import rebuild
from tests.kafka_tools import produce
from tests.search_samples import listing


async def test_listings_topic_is_projected_into_redis_including_tombstones(
        kafka_bootstrap: str, redis_url: str, redis_prefix: str, topics: Topics) -> None:
    redis = Redis.from_url(redis_url)
    index = RedisListingIndex(redis, redis_prefix)
    await produce(kafka_bootstrap, topics.listings, [
        (b"0000000097", codec.encode(listing("0000000097", 51.05, 3.72))),
        (b"0000000196", codec.encode(listing("0000000196", 51.05, 3.73))),
        (b"0000000196", None),
        (b"0000000295", b"not json"),  # skipped with a warning, never stops the projection
    ])
    query = build_query(51.05, 3.72, None, 5, [], False, False, False, 1, 10)

    async def follow(handle: TaskHandle) -> None:
        await consumer.run_consumer(kafka_bootstrap, topics.listings, f"{topics.prefix}search", index, handle)

    try:
        async with supervised({consumer.TASK: follow}) as supervisor:
            for _ in range(100):
                if await index.is_built() and [hit.enterprise_number
                                               for hit in (await index.find(query)).hits] == ["0000000097"]:
                    break
                await asyncio.sleep(0.2)
            assert [hit.enterprise_number for hit in (await index.find(query)).hits] == ["0000000097"]
            assert await index.get_many(["0000000196"]) == [None]
            assert supervisor.handles[consumer.TASK].restarts == 0  # the bad record was skipped, not fatal
    finally:
        await redis.aclose()


async def test_reindex_rebuilds_the_index_from_the_topic_after_redis_lost_it(
        kafka_bootstrap: str, redis_url: str, redis_prefix: str, topics: Topics) -> None:
    await produce(kafka_bootstrap, topics.listings, [
        (b"0000000097", codec.encode(listing("0000000097", 51.05, 3.72, "Hoeve De Linde"))),
        (b"0000000196", codec.encode(listing("0000000196", 51.05, 3.73))),
        (b"0000000097", codec.encode(listing("0000000097", 51.05, 3.72, "Hoeve Ter Linde"))),
        (b"0000000196", None),
    ])
    redis = Redis.from_url(redis_url)
    index = RedisListingIndex(redis, redis_prefix)
    try:
        await index.apply([("0000000295", listing("0000000295", 51.0, 3.7))])  # stale: not in the topic
        assert await rebuild(kafka_bootstrap, topics.listings, index) == 1
        [kept] = await index.get_many(["0000000097"])
        assert kept is not None
        assert kept.name == "Hoeve Ter Linde"
        assert await index.get_many(["0000000196", "0000000295"]) == [None, None]
        assert await index.count() == 1
    finally:
        await redis.aclose()


async def test_a_changed_listing_leaves_no_trace_of_its_old_words_and_the_layout_is_marked(
        redis_url: str, redis_prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    index = RedisListingIndex(redis, redis_prefix)
    try:
        await index.apply([("0000000097", listing("0000000097", 51.05, 3.72, name="Bakkerij Peeters"))])
        await index.apply([("0000000097", listing("0000000097", 51.05, 3.72, name="Slagerij Peeters",
                                                  categories=("hoeveproducten",),
                                                  channels=Channels(delivery=True)))])
        assert await redis.zscore(f"{redis_prefix}gw:slagerij", "0000000097") is not None
        assert await redis.zscore(f"{redis_prefix}gc:hoeveproducten", "0000000097") is not None
        assert not await redis.exists(f"{redis_prefix}gw:bakkerij", f"{redis_prefix}gc:speciaalzaak")
        assert await redis.zrange(f"{redis_prefix}words", 0, -1) == [b"peeters", b"slagerij"]
        assert await index.format_current()
        await redis.delete(f"{redis_prefix}format")  # as an index written by an older version
        assert not await index.format_current()
        await index.apply([("0000000097", None)])  # removed: nothing of it is left but the counters
        left = {key.decode().removeprefix(redis_prefix) async for key in redis.scan_iter(match=f"{redis_prefix}*")}
        assert left == {"generation", "format", "counts", "changed"}
        assert await redis.hgetall(f"{redis_prefix}counts") == {b"delivery": b"0"}
    finally:
        await redis.aclose()


async def test_the_rebuild_lock_is_held_while_the_work_outlives_its_lifetime_then_released(
        redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rebuild_module, "LOCK_S", 0.3)
    redis = Redis.from_url(redis_url)
    index = RedisListingIndex(redis, redis_prefix)
    lock_key = index.key("rebuilding")
    finish = asyncio.Event()

    async def slow_work() -> int:
        await finish.wait()
        return 7

    async def observe() -> list[bool]:
        held = []
        for _ in range(10):  # ten times the lock's lifetime
            await asyncio.sleep(0.1)
            held.append(bool(await redis.exists(lock_key)))
        finish.set()
        return held

    try:
        lock = rebuild_module._lock(index)
        assert await lock.acquire(blocking=False)
        result, held = await asyncio.gather(rebuild_module._holding(lock, slow_work()), observe())
        assert result == 7
        assert all(held)
        assert not await redis.exists(lock_key)
    finally:
        await redis.aclose()
