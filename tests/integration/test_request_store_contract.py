"""One contract for the request store, run against Redis (real) and the in-memory fake (unit tests) alike."""

from collections.abc import AsyncIterator

import pytest
from limits.aio.storage import RedisStorage
from redis.asyncio import Redis

from services.common.vocabulary import Reason, SubmissionStatus
from services.registration.errors import StoreUnavailable
from services.registration.store import RedisRequestStore, RequestStore, Status
from tests.fakes import InMemoryRequestStore


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[RequestStore]:
    if request.param == "memory":
        yield InMemoryRequestStore()
        return
    url = request.getfixturevalue("redis_url")
    redis = Redis.from_url(url)
    yield RedisRequestStore(redis, redis_prefix, RedisStorage(f"async+{url}", implementation="redispy",
                                                              wrap_exceptions=True, key_prefix=f"{redis_prefix}rate"))
    await redis.aclose()


async def test_a_signature_is_accepted_once(store: RequestStore) -> None:
    assert await store.first_use("sig-1", 60)
    assert not await store.first_use("sig-1", 60)
    assert await store.first_use("sig-2", 60)


async def test_a_partner_is_admitted_up_to_its_limit_then_told_when_to_retry(store: RequestStore) -> None:
    assert [await store.admit("a", 3) for _ in range(3)] == [None, None, None]
    wait = await store.admit("a", 3)
    assert wait is not None
    assert 1 <= wait <= 60
    assert await store.admit("b", 3) is None  # each partner has its own window


async def test_idempotency_record_lifecycle(store: RequestStore) -> None:
    assert await store.reserve("p:k", "f1") is None
    assert await store.reserve("p:k", "f1") == {"fingerprint": "f1", "response": None}
    await store.complete("p:k", "f1", {"status": 202, "body": {"id": "x"}})
    assert await store.reserve("p:k", "f2") == {"fingerprint": "f1", "response": {"status": 202, "body": {"id": "x"}}}
    await store.release("p:k")
    assert await store.reserve("p:k", "f2") is None


async def test_statuses_and_latest_registration(store: RequestStore) -> None:
    assert await store.get_status("e1") is None
    listed = Status("p", "0428759497", SubmissionStatus.LISTED, (Reason.EXPLICIT_CONSENT_LISTING,), 1.0)
    await store.put_status("e1", listed)
    assert await store.get_status("e1") == listed
    assert await store.latest_registration("0428759497") is None
    await store.latest_registration("0428759497", "e1")
    assert await store.latest_registration("0428759497") == "e1"


async def test_a_received_status_never_overwrites_a_decision_that_arrived_first(store: RequestStore) -> None:
    # the consent worker can decide before the intake has written "received"
    listed = Status("p", "0428759497", SubmissionStatus.LISTED, (Reason.EXPLICIT_CONSENT_LISTING,), 2.0)
    await store.put_status("e2", listed)
    await store.put_received({"e2": Status("p", "0428759497", SubmissionStatus.RECEIVED, (), 1.0),
                              "e3": Status("p", "0428759497", SubmissionStatus.RECEIVED, (), 1.0)})
    assert await store.get_status("e2") == listed
    assert (await store.get_status("e3")) == Status("p", "0428759497", SubmissionStatus.RECEIVED, (), 1.0)


async def test_forwarding_partners_are_remembered_per_business(store: RequestStore) -> None:
    assert not await store.forwarded_by("0428759497", "unizo-winkelhier")
    await store.add_forwarders("0428759497", ["unizo-winkelhier"])
    await store.add_forwarders("0428759497", ["gemeenten", "unizo-winkelhier"])
    await store.add_forwarders("0428759497", [])
    assert await store.forwarded_by("0428759497", "unizo-winkelhier")
    assert await store.forwarded_by("0428759497", "gemeenten")
    assert not await store.forwarded_by("0428759497", "nsz-koopvanuitjekot")
    assert not await store.forwarded_by("0403019261", "unizo-winkelhier")


async def test_received_statuses_record_their_forwarders_in_the_same_write(store: RequestStore) -> None:
    received = Status("gemeenten", "0428759497", SubmissionStatus.RECEIVED, (), 1.0)
    await store.put_received({"e4": received}, [("0428759497", "gemeenten"), ("0403019261", "gemeenten")])
    await store.put_received({}, [])
    assert await store.get_status("e4") == received
    assert await store.forwarded_by("0428759497", "gemeenten")
    assert await store.forwarded_by("0403019261", "gemeenten")
    assert not await store.forwarded_by("0428759497", "unizo-winkelhier")


async def test_receipts_a_failed_write_lost_are_kept_counted_and_written_once_the_store_answers(
        redis_url: str, redis_prefix: str) -> None:
    """Redis really unavailable for writes (CLIENT PAUSE) under a short socket timeout, then back."""
    redis, admin = Redis.from_url(redis_url, socket_timeout=0.3), Redis.from_url(redis_url)
    store = RedisRequestStore(redis, redis_prefix, RedisStorage(f"async+{redis_url}", implementation="redispy",
                                                                wrap_exceptions=True, key_prefix=f"{redis_prefix}r"))
    received = Status("gemeenten", "0428759497", SubmissionStatus.RECEIVED, (), 1.0)
    await admin.client_pause(1500, all=True)
    with pytest.raises(StoreUnavailable):
        await store.put_received({"e5": received}, [("0428759497", "gemeenten")])
    assert await store.forwarded_by("0428759497", "gemeenten")  # from the kept receipt, Redis still paused
    assert not await admin.sismember(f"{redis_prefix}forwarders:0428759497", "gemeenten")  # waits for the pause
    assert await store.get_status("e5") == received  # written by the first call that reached Redis again
    assert await admin.sismember(f"{redis_prefix}forwarders:0428759497", "gemeenten")
    assert store.unwritten == []
    await redis.aclose()
    await admin.aclose()


async def test_the_fake_keeps_failed_receipts_too() -> None:
    store = InMemoryRequestStore()
    store.down = True
    with pytest.raises(StoreUnavailable):
        await store.put_received({"e6": Status("p", "0403019261", SubmissionStatus.RECEIVED, (), 1.0)},
                                 [("0403019261", "p")])
    assert await store.forwarded_by("0403019261", "p")
    store.down = False
    assert (await store.get_status("e6")) is not None
    assert store.forwarders["0403019261"] == {"p"}
