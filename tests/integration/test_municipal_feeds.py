"""Municipal feeds over real Redis (services/search/feeds.py): only listings whose consent names 'municipal-sites'
appear, per municipality and per province, as JSON, GeoJSON and CSV; ETag and Last-Modified answer 304; a withdrawal
leaves the feed in the same write that takes it out of search. CORS: the public read API and the feeds answer any
origin (no credentials); the partner API gives browsers on other origins nothing."""

import asyncio
import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from services.common.enterprise import with_check_digits
from services.common.events import Listing
from services.registration.config import Settings as RegistrationSettings
from services.registration.main import create_app as registration_app
from services.search.config import Settings
from services.search.index import RedisListingIndex, index_prefix
from services.search.main import create_app
from tests.fakes import InMemoryPublisher, InMemoryRequestStore, KboSnapshotOf
from tests.search_samples import built, listing

GENT, SINT_AMANDSBERG = "44021", (51.0614, 3.7504)
BOTH = ("listing", "municipal-sites")
EAST_FLANDERS, ANTWERP_PROVINCE = "40000", "10000"


def number(i: int) -> str:
    return with_check_digits(f"{i + 4_300_000:08d}")


def apply(redis_url: str, prefix: str, changes: list[tuple[str, Listing | None]]) -> None:
    async def go() -> None:
        redis = Redis.from_url(redis_url)
        try:
            await RedisListingIndex(redis, index_prefix(prefix)).apply(changes)
        finally:
            await redis.aclose()

    asyncio.run(go())


@pytest.fixture
def client(redis_url: str, redis_prefix: str) -> Iterator[TestClient]:
    built(redis_url, redis_prefix)
    listings: list[tuple[str, Listing | None]] = [
        (number(1), listing(number(1), 51.0543, 3.7174, name="Bakkerij Feed", purposes=BOTH)),
        (number(2), listing(number(2), 51.0550, 3.7180, name="Slagerij Enkel Zoeken")),  # 'listing' only
        (number(3), listing(number(3), *SINT_AMANDSBERG, name="Kaas Sint-Amandsberg", postcode="9040",
                            municipality="Sint-Amandsberg", purposes=BOTH)),
        (number(4), listing(number(4), 51.2199, 4.4035, name="Antwerpse Winkel", postcode="2000",
                            municipality="Antwerpen", purposes=BOTH)),
    ]
    apply(redis_url, redis_prefix, listings)
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix, consume=False, events=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def names(response: object) -> list[str]:
    return [item["name"] for item in response.json()["listings"]]  # type: ignore[attr-defined]


def test_only_listings_consented_for_municipal_sites_are_in_the_feed(client: TestClient) -> None:
    searched = client.get("/v1/search", params={"place": "9000 Gent", "radius_km": 5}).json()
    assert "Slagerij Enkel Zoeken" in {hit["name"] for hit in searched["results"]}  # searchable all the same
    assert names(client.get(f"/v1/feeds/municipalities/{GENT}.json")) == ["Bakkerij Feed", "Kaas Sint-Amandsberg"]
    assert names(client.get(f"/v1/feeds/provinces/{EAST_FLANDERS}.json")) == ["Bakkerij Feed",
                                                                                 "Kaas Sint-Amandsberg"]
    assert names(client.get(f"/v1/feeds/provinces/{ANTWERP_PROVINCE}.json")) == ["Antwerpse Winkel"]
    assert client.get("/v1/feeds/municipalities/99999.json").status_code == 404


def test_geojson_and_csv_carry_the_same_listings(client: TestClient) -> None:
    geo = client.get(f"/v1/feeds/municipalities/{GENT}.geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    features = geo.json()["features"]
    assert [f["properties"]["name"] for f in features] == ["Bakkerij Feed", "Kaas Sint-Amandsberg"]
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [SINT_AMANDSBERG[1], SINT_AMANDSBERG[0]]}
    table = client.get(f"/v1/feeds/municipalities/{GENT}.csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(row["name"], row["postcode"], float(row["lat"])) for row in rows] == [
        ("Bakkerij Feed", "9000", 51.0543), ("Kaas Sint-Amandsberg", "9040", SINT_AMANDSBERG[0])]


def test_etag_and_last_modified_answer_304_until_the_feed_changes_and_a_withdrawal_leaves_at_once(
        client: TestClient, redis_url: str, redis_prefix: str) -> None:
    path = f"/v1/feeds/municipalities/{GENT}.json"
    first = client.get(path)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"].startswith("public")
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": f'W/{tag}, "other"'}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200

    apply(redis_url, redis_prefix, [(number(1), None)])  # withdrawn: the consumer's one write
    assert names(client.get(path, headers={"If-None-Match": tag})) == ["Kaas Sint-Amandsberg"]
    searched = client.get("/v1/search", params={"place": "9000 Gent", "radius_km": 5}).json()
    assert "Bakkerij Feed" not in {hit["name"] for hit in searched["results"]}


def test_the_public_api_and_feeds_answer_any_origin_without_credentials(client: TestClient) -> None:
    origin = {"Origin": "https://www.gent.be"}
    for path in (f"/v1/feeds/municipalities/{GENT}.json", "/v1/search?place=9000%20Gent"):
        response = client.get(path, headers=origin)
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    preflight = client.options("/v1/search", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    refused = client.options("/v1/search", headers={**origin, "Access-Control-Request-Method": "DELETE"})
    assert refused.status_code == 400  # read-only


def test_the_partner_api_gives_browsers_on_other_origins_nothing() -> None:
    settings = RegistrationSettings(consume_decisions=False, consume_ingress=False)
    app = registration_app(settings, InMemoryPublisher(), InMemoryRequestStore(), KboSnapshotOf())
    with TestClient(app) as partner_api:
        origin = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization,x-buurt-signature"}
        preflight = partner_api.options("/v1/registrations", headers=origin)
        assert "access-control-allow-origin" not in preflight.headers
        read = partner_api.get("/v1/schemas/registration", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in read.headers
