"""The shoppers' most frequent request, ``GET /v1/search`` around a position, answered without FastAPI's parameter
solving (which was most of the Python time of a search).

Only a query string in the plain form the page and partners send is taken here: each parameter of the position
search at most once (``category`` up to ten times), numbers in decimal notation, booleans ``true``/``false``, every
value within the bounds ``api.parse_search`` declares. Anything else — a named place, an unknown or repeated
parameter, another spelling of a value, a value out of bounds, an index that cannot be reached — goes to the FastAPI
route unchanged, which gives its answer and its problem+json errors. Both build the query with ``build_query`` and
run the same ``Searcher.search``: a request gets the same answer either way
(tests/integration/test_search_fast_path.py).
"""

import re
from urllib.parse import parse_qsl

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.events import GEO_MAX_LAT
from services.search.index import IndexLost
from services.search.query import (
    MAX_CATEGORIES,
    MAX_PAGE,
    MAX_Q_LENGTH,
    MAX_RADIUS_KM,
    MAX_SIZE,
    SearchQuery,
    build_query,
)
from services.search.service import Searcher

PATH = "/v1/search"
_DECIMAL = re.compile(r"-?\d{1,4}(?:\.\d{1,17})?")
_INTEGER = re.compile(r"[1-9]\d{0,3}")
_BOOLEAN = {"true": True, "false": False}
_SINGLE = frozenset({"lat", "lon", "q", "radius_km", "delivery", "pickup", "webshop", "page", "size", "exact_total"})


class SearchFastPath:
    def __init__(self, app: ASGIApp, searcher: Searcher) -> None:
        self.app, self.searcher = app, searcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = None
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            query = plain_query(scope["query_string"])
        if query is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await self.searcher.search(query)
        except (RedisError, IndexLost):  # the route answers it (503 problem+json), as for every other request
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def plain_query(raw: bytes) -> SearchQuery | None:
    """The query of a position search in the plain form; None for anything the route must judge."""
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=bool(raw), errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    single: dict[str, str] = {}
    categories: list[str] = []
    for name, value in pairs:
        if name == "category":
            categories.append(value)
        elif name not in _SINGLE or name in single:
            return None
        else:
            single[name] = value
    if len(categories) > MAX_CATEGORIES:
        return None
    return _query(single, categories)


def _query(single: dict[str, str], categories: list[str]) -> SearchQuery | None:
    lat, lon = _decimal(single.get("lat")), _decimal(single.get("lon"))
    radius_km = _decimal(single.get("radius_km", "10"))
    page, size = _integer(single.get("page", "1")), _integer(single.get("size", "20"))
    flags = [_BOOLEAN.get(single.get(name, "false")) for name in ("delivery", "pickup", "webshop", "exact_total")]
    q = single.get("q")
    if (lat is None or lon is None or radius_km is None or page is None or size is None or None in flags
            or abs(lat) > GEO_MAX_LAT or abs(lon) > 180 or not 0 < radius_km <= MAX_RADIUS_KM
            or page > MAX_PAGE or size > MAX_SIZE or (q is not None and len(q) > MAX_Q_LENGTH)):
        return None
    delivery, pickup, webshop, exact_total = (bool(flag) for flag in flags)
    try:
        return build_query(lat, lon, q, radius_km, categories, delivery, pickup, webshop, page, size,
                           exact_total=exact_total)
    except Exception:  # noqa: BLE001 - whatever the route would make of it, it says so in its own words
        return None


def _decimal(value: str | None) -> float | None:
    return float(value) if value is not None and _DECIMAL.fullmatch(value) else None


def _integer(value: str | None) -> int | None:
    return int(value) if value is not None and _INTEGER.fullmatch(value) else None
