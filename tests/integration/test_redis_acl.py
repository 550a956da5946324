"""Redis with a user per service (services/infra/redis_acls.py): a wrong password is refused, the default user is
off, each service reaches its own keys only and none may empty the database; the search index works through the
search user (its scripts included) and the registration service can count in it without changing it."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe

import pytest
import redis
from redis.asyncio import Redis

from services.infra import process, redis_server
from services.infra.redis_acls import rules
from services.search.index import RedisListingIndex
from services.search.query import build_query
from tests.search_samples import listing

GENT = (51.0543, 3.7174)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis_server.RedisNode]:
    home: Path = tmp_path_factory.mktemp("redis-acl")
    users = tuple((name, token_urlsafe(24), rule) for name, rule in rules().items())
    started = redis_server.RedisNode(home, process.free_port(), appendonly=False, users=users)
    redis_server.start(started)
    try:
        yield started
    finally:
        redis_server.stop(started)


def refused(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except redis.exceptions.NoPermissionError:
        return True
    return False


def test_a_wrong_password_and_the_default_user_are_refused(node: redis_server.RedisNode) -> None:
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=node.port, username="search", password="not-the-password").ping()
    with pytest.raises(redis.exceptions.RedisError):  # no user: the default one, which is off
        redis.Redis(port=node.port).set("buurt:idx:x", "1")


def test_each_service_reaches_its_own_keys_only(node: redis_server.RedisNode) -> None:
    search = redis.Redis.from_url(node.url_for("search"))
    registration = redis.Redis.from_url(node.url_for("registration"))
    insights = redis.Redis.from_url(node.url_for("insights"))
    assert search.set("buurt:idx:generation", 1)
    assert registration.set("buurt:reg:idem:x", 1)
    assert insights.hset("buurt:insights:day:0", "x", 1) == 1
    assert registration.get("buurt:idx:generation") == b"1"  # it counts the listings
    assert search.hget("buurt:insights:day:0", "x") == b"1"  # the /ops page reads the demand
    assert refused(lambda: registration.set("buurt:idx:generation", 2))  # but cannot change the index
    assert refused(lambda: search.get("buurt:reg:idem:x"))  # nor search the partners' requests
    assert refused(lambda: search.hset("buurt:insights:day:0", "x", 2))
    assert refused(lambda: insights.get("buurt:idx:generation"))
    for client in (search, registration, insights):
        assert refused(client.flushall)
        assert refused(lambda c=client: c.keys("*"))
        assert refused(lambda c=client: c.config_get("*"))


def test_the_search_index_and_its_scripts_work_through_the_search_user(node: redis_server.RedisNode) -> None:
    async def index_and_search() -> list[str]:
        connection = Redis.from_url(node.url_for("search"))
        try:
            index = RedisListingIndex(connection, "buurt:idx:")
            await index.mark_built()
            await index.apply([("0000000097", listing("0000000097", *GENT))], guarded=True)
            found = await index.find(build_query(GENT[0], GENT[1], None, 5, [], False, False, False, 1, 10))
            await index.clear()
            return [hit.enterprise_number for hit in found.hits]
        finally:
            await connection.aclose()

    assert asyncio.run(index_and_search()) == ["0000000097"]
