"""Visitor statistics behind a reverse proxy, over real sockets (uvicorn serving the search app as the service runs
it): the forwarded address counts as the visitor only when the connection comes from a proxy the installation names
(BUURT_TRUSTED_PROXIES); from anyone else X-Forwarded-For is ignored, so a visitor cannot count as many."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
import redis
import uvicorn

from services.common import proxies
from services.infra import process
from services.search.config import Settings
from services.search.main import create_app
from tests.platform import wait_for
from tests.search_samples import built

FORWARDED = ["203.0.113.7", "198.51.100.23", "192.0.2.140"]  # three visitors behind one proxy


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    port = process.free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                                           proxy_headers=proxies.SERVER_PROXY_HEADERS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: server.started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def visitors_today(redis_url: str, prefix: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return int(client.pfcount(f"{prefix}stats:visitors:day:{datetime.now(UTC).date().isoformat()}"))


@pytest.mark.parametrize(("trusted", "counted"), [
    ("127.0.0.1", len(FORWARDED)),  # the proxy on this machine: each forwarded address is a visitor
    ("10.0.0.0/8", 1),  # a proxy elsewhere: this connection is not it, its header is ignored
    ("", 1),  # no proxy named
])
def test_forwarded_addresses_count_only_from_a_trusted_proxy(redis_url: str, redis_prefix: str, trusted: str,
                                                               counted: int) -> None:
    built(redis_url, redis_prefix)
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix, consume=False, events=False,
                        trusted_proxies=trusted)
    with serving(settings) as base, httpx.Client(base_url=base, timeout=10) as client:
        for address in FORWARDED:
            page = client.get("/", headers={"X-Forwarded-For": address, "User-Agent": "Firefox/140"})
            assert page.status_code == 200
    assert visitors_today(redis_url, redis_prefix) == counted


def test_a_trusted_proxy_that_is_not_an_address_stops_the_service() -> None:
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address or network"):
        Settings(trusted_proxies="127.0.0.1, proxy.internal")
