"""The Redis index's nearest-first walk against the reference (every listing measured and filtered, tests/fakes.py),
on data made to reach its edges: a dense centre and a sparse countryside, listings sharing a position (ties by
name), listings a metre inside and outside the radius, pages spanning several rings of the walk, fewer matches than
a page, words shared by names, places and category labels, and filters of every selectivity."""

import random
from collections.abc import AsyncIterator
from math import degrees

import pytest
from redis.asyncio import Redis

from services.common.categories import CATEGORIES
from services.common.events import Channels, Listing
from services.search.index import Found, RedisListingIndex
from services.search.query import EARTH_RADIUS_KM, SearchQuery, build_query
from tests.fakes import InMemoryListingIndex
from tests.samples import fresh_enterprise_number
from tests.search_samples import listing

CENTRE = (51.0543, 3.7174)  # Gent
NAMES = ("Bakkerij", "Bakker", "Slagerij", "Kaasmakerij", "Hoeve", "Brouwerij", "Bloemen", "Gentse Fietsen",
         "Sint-Jan", "De Bakkers", "12 Ambachten", "Boucherie")
PLACES = (("9000", "Gent"), ("9040", "Sint-Amandsberg"), ("9050", "Gentbrugge"), ("2000", "Antwerpen"),
          ("2600", "Berchem"), ("9080", "Lochristi"), ("1000", "Bruxelles"))
WORDS = ("bak", "bakkerij", "gent", "gand", "sint", "fromage", "hoeveproducten", "12", "bo", "xyz", "sl", "fiets",
         "bakkr", "beenhouwer", "boucher", "brood", "fruits de mer", "in")
RADII = (0.05, 0.3, 1.0, 2.5, 5.0, 20.0, 50.0)


def _listing(rng: random.Random, lat: float, lon: float) -> Listing:
    postcode, place = rng.choice(PLACES)
    categories = tuple(rng.sample(sorted(CATEGORIES), rng.choice((1, 1, 2))))
    channels = Channels(delivery=rng.random() < 0.3, pickup=rng.random() < 0.5,
                        webshop="https://shop.example.be" if rng.random() < 0.2 else None)
    return listing(fresh_enterprise_number(), lat, lon, f"{rng.choice(NAMES)} {rng.randrange(40)}", categories,
                   municipality=place, postcode=postcode, channels=channels)


def listings(seed: int) -> list[Listing]:
    rng = random.Random(seed)
    dense = [(CENTRE[0] + rng.gauss(0, 0.004), CENTRE[1] + rng.gauss(0, 0.006)) for _ in range(1200)]
    sparse = [(CENTRE[0] + rng.uniform(-0.4, 0.4), CENTRE[1] + rng.uniform(-0.6, 0.6)) for _ in range(800)]
    shared = [dense[0]] * 12 + [sparse[0]] * 5  # several shops at one address: ordered by name, then number
    return [_listing(rng, lat, lon) for lat, lon in dense + sparse + shared]


def around_the_edge(rng: random.Random, radius_km: float) -> list[Listing]:
    """Listings a metre inside and a metre outside ``radius_km`` due north and south of the centre."""
    placed = []
    for metres in (-1.0, 1.0):
        dlat = degrees((radius_km + metres / 1000) / EARTH_RADIUS_KM)
        placed += [_listing(rng, CENTRE[0] + dlat, CENTRE[1]), _listing(rng, CENTRE[0] - dlat, CENTRE[1])]
    return placed


def queries(seed: int, count: int) -> list[SearchQuery]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        at = rng.choice([CENTRE, (CENTRE[0] + rng.gauss(0, 0.01), CENTRE[1] + rng.gauss(0, 0.01)),
                         (CENTRE[0] + rng.uniform(-0.4, 0.4), CENTRE[1] + rng.uniform(-0.6, 0.6))])
        words = " ".join(rng.sample(WORDS, rng.choice((0, 0, 1, 1, 2))))
        categories = rng.sample(sorted(CATEGORIES), rng.choice((0, 0, 1, 3)))
        made.append(build_query(at[0], at[1], words, rng.choice(RADII), categories, rng.random() < 0.15,
                                rng.random() < 0.15, rng.random() < 0.1, rng.choice((1, 1, 2, 3, 6)),
                                rng.choice((1, 7, 20, 100))))
    return made


@pytest.fixture
async def indexes(redis_url: str, redis_prefix: str) -> AsyncIterator[tuple[RedisListingIndex, InMemoryListingIndex]]:
    redis = Redis.from_url(redis_url)
    walked, reference = RedisListingIndex(redis, redis_prefix), InMemoryListingIndex()
    for index in (walked, reference):
        await index.mark_built()
    yield walked, reference
    await redis.aclose()


def same_page(walked: Found, reference: Found, query: SearchQuery) -> None:
    assert [h.enterprise_number for h in walked.hits] == [h.enterprise_number for h in reference.hits], query
    assert [h.distance_km for h in walked.hits] == pytest.approx([h.distance_km for h in reference.hits], abs=1e-4)
    if walked.exact:
        assert walked.total == reference.total, query
    else:  # stopped early: only when a full page lay within the distance walked
        assert reference.total >= query.page * query.size, query
        assert walked.total >= query.page * query.size, query


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_page_matches_the_reference(indexes: tuple[RedisListingIndex, InMemoryListingIndex],
                                                seed: int) -> None:
    redis_index, reference = indexes
    data = listings(seed)
    for index in indexes:
        await index.apply([(item.enterprise_number, item) for item in data])
    estimated = 0
    for query in queries(seed, 250):
        walked = await redis_index.find(query)
        same_page(walked, await reference.find(query), query)
        estimated += not walked.exact
        counted = await redis_index.find(build_exact(query))
        assert counted.exact
        assert counted.total == (await reference.find(query)).total
    assert estimated > 10  # the walk did stop early, so the comparison above covered it


def build_exact(query: SearchQuery) -> SearchQuery:
    return SearchQuery(**{**query.__dict__, "exact_total": True})


async def test_the_radius_is_exact_to_the_metre(indexes: tuple[RedisListingIndex, InMemoryListingIndex]) -> None:
    rng = random.Random(9)
    for radius in (0.05, 1.0, 5.0, 50.0):
        redis_index, reference = indexes
        edge = around_the_edge(rng, radius)
        for index in indexes:
            await index.apply([(item.enterprise_number, item) for item in edge])
        query = build_query(*CENTRE, None, radius, [], False, False, False, 1, 100)
        found = await redis_index.find(query)
        inside = {item.enterprise_number for item in edge[:2]}
        assert inside <= {h.enterprise_number for h in found.hits}
        assert not {item.enterprise_number for item in edge[2:]} & {h.enterprise_number for h in found.hits}
        same_page(found, await reference.find(query), query)
        for index in indexes:
            await index.apply([(item.enterprise_number, None) for item in edge])


async def test_a_page_beyond_the_matches_and_a_short_last_page(
        indexes: tuple[RedisListingIndex, InMemoryListingIndex]) -> None:
    redis_index, reference = indexes
    data = listings(4)[:300]
    for index in indexes:
        await index.apply([(item.enterprise_number, item) for item in data])
    for page in range(1, 8):
        query = build_query(*CENTRE, "bak", 5.0, [], False, False, False, page, 20)
        same_page(await redis_index.find(query), await reference.find(query), query)
    last = await redis_index.find(build_query(*CENTRE, None, 50.0, [], False, False, False, 4, 100))
    assert (last.total, len(last.hits), last.exact) == (300, 0, True)
