"""The search API on a seeded Redis index: distances, ordering, filters, folding, places, paging, cache, statistics."""

import asyncio
import hashlib
import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from geographiclib.geodesic import Geodesic
from redis.asyncio import Redis

from services.common.events import Channels, Listing
from services.insights.sink import DemandSink
from services.insights.windows import cell_key, window_start
from services.search.config import Settings
from services.search.index import RedisListingIndex
from services.search.main import create_app
from services.search.stats import VisitorStats
from tests.platform import wait_for
from tests.samples import SPELLINGS
from tests.search_samples import built, listing

GENT = (51.0543, 3.7174)
OPS_TOKEN = "ops-secret"


@pytest.fixture
def client(redis_url: str, redis_prefix: str) -> Iterator[TestClient]:
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix, consume=False, lexicon_refresh_s=0.2,
                        insights_redis_prefix=redis_prefix,
                        events=False,  # tests/integration/test_search_events.py
                        ops_token_sha256=hashlib.sha256(OPS_TOKEN.encode()).hexdigest())
    built(redis_url, redis_prefix)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def seed(client: TestClient, listings: Sequence[Listing | tuple[str, None]]) -> None:
    changes = [(item.enterprise_number, item) if isinstance(item, Listing) else item for item in listings]
    asyncio.run(_apply(client, changes))


async def _apply(client: TestClient, changes: list[Any]) -> None:
    """Apply changes as the listings consumer does (to a built index), through its own connection to it."""
    app_index: RedisListingIndex = client.app.state.index  # type: ignore[attr-defined]
    connection = Redis.from_url(client.app.state.settings.redis_url)  # type: ignore[attr-defined]
    try:
        await RedisListingIndex(connection, app_index.prefix).apply(changes, guarded=True)
    finally:
        await connection.aclose()


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"lat": GENT[0], "lon": GENT[1], **params})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def numbers(result: dict[str, Any]) -> list[str]:
    return [hit["enterprise_number"] for hit in result["results"]]


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The independent reference: the WGS84 geodesic (GeographicLib)."""
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]) / 1000


# Redis GEO (and so the service) measures on a sphere; the sphere and the WGS84 ellipsoid differ by at most 0.5 %
# on these few kilometres (here, at 51° N, by about 0.2 %), plus a metre of rounding.
TOLERANCE = 0.005


def test_distances_match_the_wgs84_geodesic_and_results_are_nearest_first(client: TestClient) -> None:
    rng = random.Random(5)
    shops = [listing(f"{i:010d}", GENT[0] + rng.uniform(-0.08, 0.08), GENT[1] + rng.uniform(-0.12, 0.12),
                     name=f"Winkel {i:03d}") for i in range(200)]
    seed(client, shops)
    radius = 8.0
    reference = {s.enterprise_number: geodesic_km(*GENT, s.position.lat, s.position.lon) for s in shops}
    inside = {n for n, d in reference.items() if d <= radius * (1 - TOLERANCE)}
    borderline = {n for n, d in reference.items() if abs(d - radius) <= radius * TOLERANCE}
    result = search(client, radius_km=radius, size=100)
    assert result["total"] >= len(inside)
    assert result["total"] <= len(inside | borderline)
    distances = [hit["distance_km"] for hit in result["results"]]
    assert distances == sorted(distances)
    for hit in result["results"]:
        expected = reference[hit["enterprise_number"]]
        assert abs(hit["distance_km"] - expected) <= expected * TOLERANCE + 0.001, hit
    order = numbers(result)
    for before, after in itertools.combinations(order, 2):  # where the reference tells them apart, it agrees
        assert reference[after] >= reference[before] - 2 * TOLERANCE * reference[before], (before, after)
    assert order[0] == min(reference, key=reference.__getitem__)


def test_equal_distances_are_ordered_by_name_and_paging_is_stable(client: TestClient) -> None:
    same = [listing(f"{i:010d}", GENT[0] + 0.01, GENT[1], name=name) for i, name in
            enumerate(["Zuivel", "Appel", "Markt", "Bakker", "Kaas"])]
    seed(client, same)
    pages = [numbers(search(client, size=2, page=p)) for p in (1, 2, 3)]
    assert [n for page in pages for n in page] == ["0000000001", "0000000003", "0000000004", "0000000002",
                                                   "0000000000"]
    assert pages == [numbers(search(client, size=2, page=p)) for p in (1, 2, 3)]


def test_category_flag_and_text_filters(client: TestClient) -> None:
    seed(client, [
        listing("0000000001", GENT[0], GENT[1], "Hoeve De Linde", ("hoeveproducten",),
                channels=Channels(pickup=True)),
        listing("0000000002", GENT[0], GENT[1] + 0.01, "Crèmerie Sint-Jan", ("kaas-zuivel",),
                channels=Channels(delivery=True, webshop="https://cremerie.example.be")),
        listing("0000000003", GENT[0], GENT[1] + 0.02, "Bakkerij Claes", ("bakker",)),
    ])
    assert numbers(search(client, category="hoeveproducten")) == ["0000000001"]
    assert numbers(search(client, category=["bakker", "kaas-zuivel"])) == ["0000000002", "0000000003"]
    assert numbers(search(client, delivery="true")) == ["0000000002"]
    assert numbers(search(client, pickup="true")) == ["0000000001"]
    assert numbers(search(client, webshop="true", delivery="true")) == ["0000000002"]
    assert numbers(search(client, q="hoeve")) == ["0000000001"]
    assert numbers(search(client, q="HOEVE lin")) == ["0000000001"]
    assert numbers(search(client, q="crèmerie")) == ["0000000002"]
    assert numbers(search(client, q="cremerie")) == ["0000000002"]
    assert numbers(search(client, q="fromage")) == ["0000000002"]  # the French label of its category
    assert numbers(search(client, q="zuivel")) == ["0000000002"]  # a word of its category's label
    assert numbers(search(client, q="boerderij")) == ["0000000001"]  # a synonym of its category
    assert numbers(search(client, q="pistolets")) == ["0000000003"]  # a product word
    assert search(client, q="slager")["total"] == 0


def test_typos_of_new_names_are_tolerated_once_read_and_words_no_listing_has_are_left_out(
        client: TestClient) -> None:
    seed(client, [listing("0000000001", *GENT, "Zuivelhoeve Vandekerckhove", ("kaas-zuivel",)),
                  listing("0000000002", GENT[0], GENT[1] + 0.01, "Vishandel Oostende", ("vis",))])
    # the lexicon task reads the new name words: then a letter left out of one is tolerated
    assert wait_for(lambda: numbers(search(client, q="vandekerkhove")) == ["0000000001"], timeout=20)
    assert "search-lexicon" in client.get("/readyz").text
    fresh = search(client, q="verse vis")
    assert (numbers(fresh), fresh["ignored_words"]) == (["0000000002"], ["verse"])
    assert search(client, q="vis in gent")["ignored_words"] == ["in"]
    nothing = search(client, q="qwertzuiop")
    assert (nothing["total"], nothing["ignored_words"]) == (0, [])  # nothing else typed: not left out


def test_places_by_postcode_and_dutch_or_french_names(client: TestClient) -> None:
    seed(client, [listing("0000000001", 51.05, 3.72), listing("0000000002", 50.8466, 4.3517, municipality="Brussel",
                                                               postcode="1000")])
    for params in ({"postcode": "9000"}, {"municipality": "Gent"}, {"municipality": "gand"}):
        response = client.get("/v1/search", params={**params, "radius_km": 5})
        assert [h["enterprise_number"] for h in response.json()["results"]] == ["0000000001"], params
    for name in ("Brussel", "Bruxelles"):
        response = client.get("/v1/search", params={"municipality": name, "radius_km": 5})
        assert [h["enterprise_number"] for h in response.json()["results"]] == ["0000000002"]


@pytest.mark.parametrize(("params", "pointer"), [
    ({}, "/place"), ({"lat": 51}, "/lon"), ({"postcode": "0000"}, "/postcode"), ({"municipality": "Atlantis"},
                                                                                 "/municipality"),
    ({"lat": 51, "lon": 3.7, "radius_km": 51}, "/radius_km"), ({"lat": 51, "lon": 3.7, "size": 101}, "/size"),
    ({"lat": 95, "lon": 3.7}, "/lat"),
    ({"lat": -85.2, "lon": 126.6}, "/lat"),  # beyond Redis's geo range (±85.05112878)
])
def test_bad_parameters_are_422_problems(client: TestClient, params: dict[str, Any], pointer: str) -> None:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in {e["pointer"] for e in response.json()["errors"]}


def test_cached_query_never_serves_a_withdrawn_business(client: TestClient) -> None:
    seed(client, [listing("0428759497", *GENT, "Hoeve De Linde"), listing("0000000002", GENT[0], GENT[1] + 0.01)])
    first = search(client, q="hoeve")
    again = search(client, q="hoeve")
    assert numbers(first) == numbers(again) == ["0428759497"]
    metrics = client.get("/metrics").text
    assert 'buurt_search_cache_lookups_total{result="hit"}' in metrics
    seed(client, [("0428759497", None)])  # the tombstone of a withdrawal
    assert numbers(search(client, q="hoeve")) == []
    assert client.get("/v1/listings/0428759497").status_code == 404


def test_a_listing_is_found_by_every_spelling_of_its_enterprise_number(client: TestClient) -> None:
    seed(client, [listing("0428759497", *GENT, "Hoeve De Linde", ("hoeveproducten", "streekproducten"))])
    for spelling in SPELLINGS:
        response = client.get(f"/v1/listings/{spelling}")
        assert response.status_code == 200, spelling
        assert response.json()["enterprise_number"] == "0428759497"
    for wrong, detail in (("0428759498", "check digit"), ("hoeve", "not a Belgian enterprise number")):
        refused = client.get(f"/v1/listings/{wrong}")
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["pointer"] == "/enterprise_number"
        assert detail in refused.json()["detail"]
    assert client.get("/v1/listings/0403019261").status_code == 404  # valid, not listed


def test_listing_categories_and_suggestions(client: TestClient) -> None:
    seed(client, [listing("0428759497", *GENT, "Hoeve De Linde", ("hoeveproducten", "streekproducten"))])
    counts = {c["code"]: c for c in client.get("/v1/categories").json()}
    assert counts["hoeveproducten"]["count"] == 1
    assert counts["hoeveproducten"]["labels"] == {"nl": "Hoeveproducten", "fr": "Produits de la ferme"}
    suggestions = client.get("/v1/suggest", params={"q": "hoe"}).json()
    assert "Hoeve De Linde" in suggestions["names"]
    assert "Hoeveproducten" in suggestions["categories"]
    gen = client.get("/v1/suggest", params={"q": "gen"}).json()
    assert "Gent" in gen["places"]
    assert gen["names"] == []  # Hoeve De Linde is in Gent: a place match, not a name one
    assert "9040 Sint-Amandsberg" in client.get("/v1/suggest", params={"q": "sint-aman"}).json()["places"]
    assert "9050 Gentbrugge" in client.get("/v1/suggest", params={"q": "gentbruge"}).json()["places"]
    butcher = client.get("/v1/suggest", params={"q": "beenh"}).json()
    assert butcher["categories"][:2] == ["Slager", "Boucherie"]
    assert client.get("/v1/suggest", params={"q": "boerderij"}).json()["names"] == []  # its category, not name
    assert client.get("/v1/suggest", params={"q": "hoeev"}).json()["names"] == ["Hoeve De Linde"]  # a swap
    assert wait_for(lambda: client.get("/v1/suggest", params={"q": "lidne"}).json()["names"] == ["Hoeve De Linde"],
                    timeout=20)  # two letters swapped, once the lexicon task has read the name


def test_weekly_unique_visitors_within_the_hyperloglog_bound_and_no_raw_identity_stored(
        client: TestClient, redis_url: str, redis_prefix: str) -> None:
    app_stats: VisitorStats = client.app.state.stats  # type: ignore[attr-defined]
    monday = datetime(2026, 10, 5, 10, tzinfo=UTC)
    truth: dict[str, set[str]] = {}

    async def replay() -> None:
        stats = VisitorStats(Redis.from_url(redis_url), app_stats.prefix)
        rng = random.Random(11)
        for week in range(4):
            for _ in range(3000):
                visitor = rng.randrange(1000 * (week + 1))
                ip, agent = f"10.{visitor // 250}.{visitor % 250}.7", f"Mozilla/5.0 visitor-{visitor}"
                at = monday + timedelta(weeks=week, days=rng.randrange(7), hours=rng.randrange(10))
                await stats.visit(ip, agent, at)
                truth.setdefault(f"2026-W{41 + week}", set()).add(ip)
        await stats.redis.aclose()

    asyncio.run(replay())
    response = client.get("/v1/stats/visitors", params={"from": "2026-10-05", "to": "2026-11-01",
                                                          "granularity": "week"},
                          headers={"Authorization": f"Bearer {OPS_TOKEN}"})
    assert response.status_code == 200
    for period in response.json()["periods"]:
        exact = len(truth[period["label"]])
        assert abs(period["unique_visitors"] - exact) <= 0.03 * exact, (period, exact)  # HLL: 0.81 % std error
    csv = client.get("/v1/stats/visitors", params={"from": "2026-10-05", "to": "2026-10-11"},
                     headers={"Authorization": f"Bearer {OPS_TOKEN}", "Accept": "text/csv"})
    assert csv.text.startswith("label,unique_visitors")
    raw = redis.Redis.from_url(redis_url)
    for key in raw.scan_iter(match=f"{redis_prefix}*"):
        dump = raw.dump(key) or b""
        assert b"10." not in key
        assert b"Mozilla" not in dump
        assert b"visitor-" not in dump
    assert client.get("/v1/stats/visitors").status_code == 401
    assert client.get("/ops").status_code == 401
    page = client.get("/ops", auth=("ops", OPS_TOKEN))
    assert page.status_code == 200
    assert "<svg" in page.text


def test_ops_page_shows_where_shoppers_find_nothing_k_anonymously(client: TestClient, redis_url: str,
                                                                   redis_prefix: str) -> None:
    week = window_start(datetime.now(UTC), "week")
    cells = {"44021|*|searches": 9, "44021|*|zero": 6, "11002|*|searches": 3, "11002|*|zero": 3}
    keyed = {cell_key("week", week, *key.split("|")): count for key, count in cells.items()}
    asyncio.run(_sink(redis_url, redis_prefix, keyed))
    page = client.get("/ops", auth=("ops", OPS_TOKEN)).text
    assert "Gent: 6 of 9" in page
    assert "Antwerpen" not in page  # 3 searches: fewer than k = 5


async def _sink(redis_url: str, prefix: str, counts: dict[str, int]) -> None:
    connection = Redis.from_url(redis_url)
    try:
        await DemandSink(connection, prefix).write(counts)
    finally:
        await connection.aclose()


def test_web_page_searches_by_postcode_in_dutch_and_french(client: TestClient) -> None:
    seed(client, [listing("0000000001", 51.05, 3.72, "Hoeve De Linde", ("hoeveproducten",))])
    page = client.get("/", params={"place": "9000", "category": "hoeveproducten"})
    assert page.status_code == 200
    assert "Hoeve De Linde" in page.text
    assert "Hoeveproducten" in page.text
    french = client.get("/", params={"place": "Gand", "lang": "fr"})
    assert "Produits de la ferme" in french.text
    assert 'lang="fr"' in french.text
    assert "http://" not in page.text.split("<body>")[0]  # no asset loaded from outside the service
    farm = client.get("/", params={"place": "9000", "q": "verse boerderij"})
    assert "Hoeve De Linde" in farm.text  # a synonym of its category
    assert "Niet op gezocht: verse" in farm.text


@pytest.mark.parametrize(("params", "label"), [
    ({"municipality": "Sint-Amandsberg"}, "9040 Sint-Amandsberg (Gent)"),
    ({"municipality": "Gentbrugge"}, "9050 Gentbrugge (Gent)"),
    ({"municipality": "mariakerke", "postcode": "9030"}, "9030 Mariakerke (Gent)"),
    ({"municipality": "Assebroek"}, "8310 Assebroek (Brugge)"),
    ({"municipality": "Berchem"}, "2600 Berchem (Antwerpen)"),
    ({"place": "9690 Berchem"}, "9690 Berchem (Kluisbergen)"),
    ({"place": "Glain"}, "4000 Glain (Liège)"),
    ({"place": "4000 Rocourt"}, "4000 Rocourt (Liège)"),
    ({"place": "Lüttich"}, "4000 Liège"),
    ({"place": "Gand"}, "9000 Gent"),
    ({"postcode": "9040"}, "9040 Sint-Amandsberg (Gent)"),
])
def test_shoppers_name_places_as_addresses_do(client: TestClient, params: dict[str, str], label: str) -> None:
    response = client.get("/v1/search", params={**params, "radius_km": 3})
    assert response.status_code == 200, response.text
    assert response.json()["place"]["label"] == label


def test_a_name_several_places_share_means_the_likeliest_and_lists_the_others(client: TestClient) -> None:
    seed(client, [listing("0000000001", 51.1902, 4.4326, "Bakkerij Berchem", municipality="Antwerpen",
                          postcode="2600")])
    found = client.get("/v1/search", params={"municipality": "Berchem", "radius_km": 2}).json()
    assert numbers(found) == ["0000000001"]
    assert [p["label"] for p in found["alternatives"]] == ["9690 Berchem (Kluisbergen)"]
    elsewhere = client.get("/v1/search", params={"place": "9690 Berchem", "radius_km": 2}).json()
    assert (numbers(elsewhere), elsewhere["alternatives"]) == ([], [])
    page = client.get("/", params={"place": "Berchem"})
    assert "9690 Berchem (Kluisbergen)" in page.text
    assert "place=9690+Berchem" in page.text


def test_listings_are_found_by_the_words_of_their_locality_and_municipality(client: TestClient) -> None:
    shop = listing("0000000001", 51.0595, 3.7494, "Hoeve De Linde", municipality="Gent", postcode="9040")
    seed(client, [shop.model_copy(update={"address": shop.address.model_copy(update={"locality": "Sint-Amandsberg"})})])
    for words in ("sint-amandsberg", "amandsberg", "gent", "gand"):
        assert numbers(search(client, q=words)) == ["0000000001"], words


def test_web_page_says_about_when_the_total_is_estimated(client: TestClient) -> None:
    seed(client, [listing(f"00000001{i:02d}", 51.05 + i * 1e-4, 3.72, f"Hoeve {i:02d}", ("hoeveproducten",))
                  for i in range(60)])
    api = client.get("/v1/search", params={"place": "9000", "category": "hoeveproducten", "radius_km": 20}).json()
    assert api["total_exact"] is False  # the walk stopped once its page was complete
    page = client.get("/", params={"place": "9000", "category": "hoeveproducten", "radius_km": 20})
    assert "ongeveer" in page.text
    counted = client.get("/v1/search", params={"place": "9000", "category": "hoeveproducten", "radius_km": 20,
                                               "exact_total": "true"}).json()
    assert (counted["total"], counted["total_exact"]) == (60, True)
    french = client.get("/", params={"place": "Gand", "lang": "fr", "category": "hoeveproducten", "radius_km": 20})
    assert "environ" in french.text
