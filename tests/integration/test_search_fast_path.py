"""``GET /v1/search`` answered by the fast path gives what the FastAPI route gives (its reference: the same app
without the fast path), status, type and body, for query strings as shoppers' browsers, partners' scripts and
mistyped URLs send them: valid searches, every bound and one step past it, other spellings of numbers and booleans,
repeated and unknown parameters, named places, percent-encoded words in Dutch and French."""

import asyncio
import random
from collections.abc import Iterator
from typing import cast
from urllib.parse import quote

import pytest
import redis
from fastapi.testclient import TestClient

from services.common.categories import CATEGORIES
from services.search.config import Settings
from services.search.fast_path import SearchFastPath, plain_query
from services.search.main import create_app
from tests.integration.test_search import _apply
from tests.integration.test_search_walk import CENTRE, listings
from tests.search_samples import built, own_database

OWN_DB = 9  # no other test uses it
VALID = {
    "lat": ["51.0543", "51.06", "51", "-0", "85.05112878", "-85.05112878"],
    "lon": ["3.7174", "3.70", "4", "180", "-180"],
    "radius_km": ["0.05", "1", "2.5", "5", "50", "50.0", "0.00000000000000001", "5e-324"],
    "q": ["bak", "Bakkerij", "gent gand", "crème", "café", "12", "", "x" * 100, "é" * 100, "a+b", "Sint-Jan"],
    "page": ["1", "2", "7", "1000"],
    "size": ["1", "5", "20", "100"],
    "delivery": ["true", "false"], "pickup": ["true", "false"], "webshop": ["true", "false"],
    "exact_total": ["true", "false"],
}
ODD = {
    "lat": ["85.06", "-91", "1e1", " 51.05", "51,05", "", "nan", "inf", "51.0543x", "0x10"],
    "lon": ["180.0001", "-181", "3.7e0", "", "+3.7"],
    "radius_km": ["0", "-1", "50.0001", "51", "1e1", "", "inf"],
    "q": ["x" * 101, "é" * 101],
    "page": ["0", "1001", "01", "-1", "1.0", ""],
    "size": ["0", "101", "20.0", ""],
    "delivery": ["1", "True", "yes", "on", "0", ""],
    "exact_total": ["TRUE", "no"],
    "place": ["9040", "Sint-Amandsberg", "2600 Berchem", "Nergensdorp"],
    "postcode": ["9000"],
    "unknown": ["1"],
}


def query_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        params = [(name, rng.choice(values)) for name, values in VALID.items()
                  if name in ("lat", "lon") or rng.random() < 0.4]
        params += [("category", rng.choice([*sorted(CATEGORIES), "bogus", ""]))
                   for _ in range(rng.choice([0, 0, 1, 2, 10, 11]))]
        if rng.random() < 0.4:  # one value out of the plain form, in place of a valid one
            name = rng.choice(sorted(ODD))
            params = [p for p in params if p[0] != name] + [(name, rng.choice(ODD[name]))]
        if rng.random() < 0.1:
            params.append(rng.choice(params))  # a parameter given twice
        if rng.random() < 0.1:
            params = [p for p in params if p[0] != rng.choice(["lat", "lon"])]
        rng.shuffle(params)
        made.append("&".join(f"{quote(name)}={quote(value)}" for name, value in params))
    return [*made, "", "lat=51.05", "lat=51.05&lon", "lat=51.05&&lon=3.7", "lat=51.05&lon=3.7&q=%ff", "=&lat=51"]


@pytest.fixture
def own_db(redis_url: str) -> Iterator[str]:
    """A Redis database of this module's own: clearing the query cache between the two paths scans only its keys,
    not those the whole suite left in database 0."""
    with own_database(redis_url, OWN_DB) as url:
        yield url


@pytest.fixture
def clients(own_db: str, redis_prefix: str) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(redis_url=own_db, redis_prefix=redis_prefix, consume=False, events=False)
    built(own_db, redis_prefix)
    fast, route = create_app(settings), create_app(settings)
    route.user_middleware = [m for m in route.user_middleware if cast(object, m.cls) is not SearchFastPath]
    with TestClient(fast) as fast_client, TestClient(route) as route_client:
        asyncio.run(_apply(fast_client, [(item.enterprise_number, item) for item in listings(seed=7)]))
        yield fast_client, route_client


def test_the_fast_path_answers_as_the_route_does(clients: tuple[TestClient, TestClient], own_db: str,
                                                 redis_prefix: str) -> None:
    fast, route = clients
    cache = redis.Redis.from_url(own_db)
    taken = 0
    for query in query_strings(seed=15, count=400):
        answers = []
        for client in (fast, route):
            for key in cache.scan_iter(f"{redis_prefix}cache:*"):  # each path computes its own answer
                cache.delete(key)
            response = client.get(f"/v1/search?{query}")
            answers.append((response.status_code, response.headers["content-type"], response.content))
        assert answers[0] == answers[1], query
        if plain_query(query.encode()) is not None:
            taken += 1
            assert answers[0][0] == 200, query  # the fast path never takes what the route refuses
    assert taken > 150  # most generated queries are plain position searches, for the fast path


def test_the_fast_path_takes_position_searches_only(clients: tuple[TestClient, TestClient]) -> None:
    fast, _ = clients
    found = fast.get("/v1/search", params={"lat": CENTRE[0], "lon": CENTRE[1], "q": "bakkerij", "size": 3})
    assert found.status_code == 200
    assert len(found.json()["results"]) == 3
    named = fast.get("/v1/search", params={"place": "9040 Sint-Amandsberg"})
    assert named.status_code == 200
    assert named.json()["place"]["postcode"] == "9040"
    refused = fast.get("/v1/search", params={"lat": "91", "lon": "3.7"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
