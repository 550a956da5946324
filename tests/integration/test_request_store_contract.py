"""One contract for the request store, run against Redis (real) and the in-memory fake (unit tests) alike."""

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.common.vocabulary import Reason, SubmissionStatus
from services.registration.store import RedisRequestStore, RequestStore, Status
from tests.fakes import InMemoryRequestStore


@pytest.fixture(params=["redis", "memory"])
async def store(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[RequestStore]:
    if request.param == "memory":
        yield InMemoryRequestStore()
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisRequestStore(redis, redis_prefix)
    await redis.aclose()


async def test_a_signature_is_accepted_once(store: RequestStore) -> None:
    assert await store.first_use("sig-1", 60)
    assert not await store.first_use("sig-1", 60)
    assert await store.first_use("sig-2", 60)


async def test_hits_are_counted_per_partner(store: RequestStore) -> None:
    assert [await store.count_hit("a", 60) for _ in range(3)] == [1, 2, 3]
    assert await store.count_hit("b", 60) == 1


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
