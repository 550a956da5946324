"""Who the client is behind a reverse proxy. ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from the
proxies the installation names (``BUURT_TRUSTED_PROXIES``: addresses or networks, comma-separated; none by default),
through uvicorn's ProxyHeadersMiddleware inside the app; uvicorn's own handling of those headers is switched off
(``SERVER_PROXY_HEADERS``), so that this is the one place that decides. From anyone else the headers are ignored:
a shopper cannot make themselves many visitors by writing the header."""

import ipaddress

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

SERVER_PROXY_HEADERS = False  # uvicorn's own reading of the headers: off


def parse(listed: str) -> list[str]:
    """The trusted proxies, each an IP address or network; ValueError for anything else (uvicorn would take a
    misspelt address for a name that never matches)."""
    proxies = [entry.strip() for entry in listed.split(",") if entry.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(f"BUURT_TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from None
    return proxies


def install(app: FastAPI, listed: str) -> None:
    """Believe the forwarding headers of these proxies (none: the connection's address is the client's)."""
    proxies = parse(listed)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
