"""Where a service's Redis is: one node (``REDIS_URL``), or the primary of a replicated Redis that Sentinel names
(``REDIS_SENTINELS``), which redis-py follows through a failover: a connection that finds the old primary gone or
demoted to a replica is dropped and the next one asks the sentinels again (docs/operations.md, "Redis").

    REDIS_URL                 redis://user:password@host:port/db; with sentinels only its user, password and db count
    REDIS_SENTINELS           host:port,host:port,... (empty: no Sentinel)
    REDIS_SENTINEL_MASTER     the name the sentinels monitor the primary under (default buurt)
    REDIS_SENTINEL_PASSWORD   the sentinels' own password, when they require one
"""

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.sentinel import Sentinel

from services.common.settings import CommonSettings

# how long one sentinel may take to say where the primary is before the next one is asked
SENTINEL_SOCKET_TIMEOUT_S = 1.0


def connect(settings: CommonSettings, **options: Any) -> Redis:
    """A client of the service's Redis; ``options`` as for ``redis.asyncio.Redis`` (timeouts)."""
    if not settings.redis_sentinels:
        return Redis.from_url(settings.redis_url, **options)
    place = parse_url(settings.redis_url)
    credentials = {key: place[key] for key in ("username", "password", "db") if key in place}
    sentinel_auth = ({"password": settings.redis_sentinel_password.get_secret_value()}
                     if settings.redis_sentinel_password.get_secret_value() else {})
    sentinel = Sentinel(  # type: ignore[no-untyped-call]  # redis-py leaves its constructor unannotated
        sentinel_addresses(settings.redis_sentinels),
        sentinel_kwargs={"socket_timeout": SENTINEL_SOCKET_TIMEOUT_S, **sentinel_auth}, **credentials, **options)
    primary: Redis = sentinel.master_for(settings.redis_sentinel_master)
    return primary


def sentinel_addresses(listed: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as (host, port) pairs; a bare host means Sentinel's port 26379."""
    addresses = []
    for entry in filter(None, (part.strip() for part in listed.split(","))):
        host, _, port = entry.rpartition(":") if ":" in entry else (entry, "", "26379")
        if not port.isdigit():
            raise ValueError(f"REDIS_SENTINELS: {entry!r} is not host:port")
        addresses.append((host, int(port)))
    return addresses
