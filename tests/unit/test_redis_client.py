"""Where the services' Redis is: a URL, or Sentinel naming the primary (no server needed to check the wiring)."""

import pytest
from redis.asyncio.sentinel import SentinelConnectionPool

from services.common.redis_client import connect, sentinel_addresses
from services.common.settings import CommonSettings


def test_sentinel_addresses_are_host_port_pairs_with_sentinels_port_by_default() -> None:
    assert sentinel_addresses(" sentinel-1:26380, sentinel-2 ,,10.0.0.3:26379") == [
        ("sentinel-1", 26380), ("sentinel-2", 26379), ("10.0.0.3", 26379)]
    with pytest.raises(ValueError, match="sentinel-1:x"):
        sentinel_addresses("sentinel-1:x")


def test_without_sentinels_the_url_is_the_node() -> None:
    client = connect(CommonSettings(redis_url="redis://search:secret@redis.internal:6380/2"))
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["username"]) == ("redis.internal", 6380, 2, "search")


def test_with_sentinels_the_primary_is_asked_of_them_with_the_urls_user_and_database() -> None:
    settings = CommonSettings(redis_url="redis://search:secret@ignored:6379/3", redis_sentinels="s1:26379,s2:26379",
                              redis_sentinel_master="buurt-prod", redis_sentinel_password="sentinel-secret")
    client = connect(settings, socket_timeout=2)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "buurt-prod"
    assert (pool.connection_kwargs["username"], pool.connection_kwargs["password"]) == ("search", "secret")
    assert pool.connection_kwargs["db"] == 3
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["host"] for s in sentinels] == ["s1", "s2"]
    assert sentinels[0].connection_pool.connection_kwargs["password"] == "sentinel-secret"
    assert "sentinel-secret" not in repr(settings)
