"""A replicated Redis (primary, replica, three sentinels; a user per service) loses its primary to SIGKILL while the
search service runs on it through Sentinel: the replica is promoted, the service follows it by itself and serves the
whole index again, changes published after the failover included; the old primary, restarted, comes back as a replica
of the new one. The registration service's connections (the same redis_client.connect) follow it too."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe

import pytest
import redis
from fastapi.testclient import TestClient

from services.common import redis_client
from services.common.topics import Topics
from services.infra import process, redis_sentinel, redis_server
from services.infra.redis_acls import rules
from services.registration.config import Settings as RegistrationSettings
from services.search.config import Settings
from services.search.main import create_app
from tests.conftest import FIGURES
from tests.platform import wait_for
from tests.search_samples import GENT, found, listing, number, publish


@pytest.fixture
def group(tmp_path: Path) -> Iterator[redis_sentinel.ReplicatedRedis]:
    users = tuple((name, token_urlsafe(24), rule) for name, rule in rules().items())
    started = redis_sentinel.replicated(tmp_path / "redis", users, appendonly=False)
    redis_sentinel.start(started)
    try:
        yield started
    finally:
        redis_sentinel.stop(started)



def test_the_services_follow_a_redis_failover_and_the_index_survives_it(
        group: redis_sentinel.ReplicatedRedis, kafka_bootstrap: str, topics: Topics) -> None:
    settings = Settings(redis_url=group.primary.url_for("search"), redis_sentinels=group.sentinel_addresses,
                        kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix, events=False)
    listed = {number(i): listing(number(i), GENT[0] + i / 1000, GENT[1]) for i in range(1, 31)}
    publish(kafka_bootstrap, topics, listed)
    with TestClient(create_app(settings)) as service:
        assert wait_for(lambda: found(service) == (200, set(listed)))
        assert wait_for(lambda: service.get("/readyz").status_code == 200)
        assert redis.Redis.from_url(group.replica.url).dbsize() > 0  # the index reached the replica

        process.kill(group.primary.pid_file)
        killed_at = time.monotonic()
        assert wait_for(lambda: group.primary_port() == group.replica.port, timeout=30)
        promoted_s = time.monotonic() - killed_at
        assert wait_for(lambda: found(service) == (200, set(listed)), timeout=30)
        served_s = time.monotonic() - killed_at

        added = number(99)
        publish(kafka_bootstrap, topics, {added: listing(added, GENT[0], GENT[1] + 0.01)})
        assert wait_for(lambda: found(service) == (200, set(listed) | {added}), timeout=30)
        assert wait_for(lambda: service.get("/readyz").status_code == 200, timeout=10)

    assert asyncio.run(_registration_writes(group)) == b"1"
    redis_server.start(group.primary)  # the old primary returns, as the new one's replica
    assert wait_for(lambda: _role(group.primary) == "slave", timeout=30)
    FIGURES.append(f"redis failover (primary SIGKILLed): replica promoted after {promoted_s:.1f} s, whole index "
                   f"served again after {served_s:.1f} s")


async def _registration_writes(group: redis_sentinel.ReplicatedRedis) -> bytes | str | None:
    settings = RegistrationSettings(redis_url=group.replica.url_for("registration"),
                                    redis_sentinels=group.sentinel_addresses)
    client = redis_client.connect(settings, socket_timeout=2)
    try:
        await client.set("buurt:reg:after-failover", 1)
        value: bytes | str | None = await client.get("buurt:reg:after-failover")
        return value
    finally:
        await client.aclose()


def _role(node: redis_server.RedisNode) -> str:
    try:
        with redis.Redis.from_url(node.url, socket_timeout=1) as client:
            return str(client.info("replication")["role"])
    except redis.RedisError:
        return "unreachable"
