"""Shoppers' words against the real platform with the demo data (what `make run` shows): around postcode 9000,
50 km, each word of issue 16's table finds what the shopper meant — Flemish and Netherlands-Dutch synonyms, product
words, a typo, the trades the vocabulary gained. The expected listings come from the demo data itself (their
categories, names and positions, measured on the WGS84 ellipsoid), not from the search code."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from geographiclib.geodesic import Geodesic

from services.common.kafka_admin import create_topics
from services.common.places import postcode_centre
from services.common.text import fold
from services.common.topics import Topics
from services.demo.cli import load
from services.demo.data import generate
from tests.platform import Platform, running_platform, wait_for

GENT_9000 = postcode_centre("9000")  # where a search for place=9000 is centred
RADIUS_KM = 50
# typed -> the categories the shopper meant (issue 16's table)
MEANT = {
    "beenhouwer": {"slager"}, "hoevewinkel": {"hoeveproducten"}, "boerderij": {"hoeveproducten"},
    "brood": {"bakker"}, "melk": {"kaas-zuivel"}, "wijn": {"wijn", "drank"}, "bloemist": {"bloemen"},
    "bakkr": {"bakker"}, "vis": {"vis"}, "vishandel": {"vis"}, "chocolade": {"chocolade"}, "ijs": {"ijs"},
    "boucherie": {"slager"}, "boulangrie": {"bakker"}, "fromagerie": {"kaas-zuivel"}, "glacier": {"ijs"},
}


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"words{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("words-logs")) as running:
        asyncio.run(load(running.registration_url, kafka_bootstrap, topics))
        assert wait_for(lambda: category_counts(running) == listed_per_category(), timeout=120), (
            category_counts(running), listed_per_category())
        yield running


def listed() -> list[dict[str, Any]]:
    """The demo registrations that end up listed: consenting, not withdrawn."""
    return [d.body for d in generate() if "listing" in d.body["consent"]["purposes"] and not d.withdraw]


def listed_per_category() -> dict[str, int]:
    return dict(Counter(code for body in listed() for code in body["categories"]))


def category_counts(platform: Platform) -> dict[str, int]:
    answer = httpx.get(f"{platform.search_url}/v1/categories", timeout=10).json()
    return {c["code"]: c["count"] for c in answer if c["count"]}


def geodesic_km(body: dict[str, Any]) -> float:
    assert GENT_9000 is not None
    position = body["position"]
    return float(Geodesic.WGS84.Inverse(GENT_9000.lat, GENT_9000.lon, position["lat"], position["lon"])["s12"]) / 1000


def words_of(body: dict[str, Any]) -> list[str]:
    return fold(f"{body['name']} {body['address']['municipality']}").replace("-", " ").split()


def search(platform: Platform, q: str) -> dict[str, Any]:
    answer = httpx.get(f"{platform.search_url}/v1/search",
                       params={"place": "9000", "radius_km": RADIUS_KM, "q": q, "size": 100}, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.parametrize("typed", sorted(MEANT))
def test_each_word_of_the_table_finds_what_the_shopper_meant(platform: Platform, typed: str) -> None:
    meant = MEANT[typed]
    wanted = {b["enterprise_number"] for b in listed() if meant & set(b["categories"]) and geodesic_km(b) < 49.5}
    assert wanted, f"the demo data have no {meant} within 50 km of 9000: the test would prove nothing"
    found = search(platform, typed)
    numbers = {hit["enterprise_number"] for hit in found["results"]}
    assert wanted <= numbers, (typed, wanted - numbers)
    for hit in found["results"]:  # nothing else, but listings whose own name or place starts with the word
        codes = {c["code"] for c in hit["categories"]}
        assert codes & meant or any(w.startswith(typed) for w in words_of(hit)), (
            typed, hit["name"], codes)


def test_suggestions_name_categories_by_synonym_and_names_only_for_name_matches(platform: Platform) -> None:
    def suggest(q: str) -> dict[str, list[str]]:
        return dict(httpx.get(f"{platform.search_url}/v1/suggest", params={"q": q}, timeout=10).json())

    assert "Slager" in suggest("beenh")["categories"]
    for typed in ("gen", "kaa", "bakk"):
        for name in suggest(typed)["names"]:
            assert any(word.startswith(typed) for word in fold(name).split()), (typed, name)
    assert suggest("gen")["places"]  # Gent is a place, under places
