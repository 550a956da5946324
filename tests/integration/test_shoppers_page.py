"""The shoppers' page as served (real Redis): on a phone the results come first (with results the filters fold into
a closed ``details``; the landing page keeps them open), phone numbers read as people write them and dial as tel:
links, and the page is self-contained (every asset from this origin), its weight measured."""

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.common.events import Channels, OpeningHours, PublicContact
from services.search.config import Settings
from services.search.main import create_app
from tests.conftest import FIGURES
from tests.integration.test_search import seed
from tests.search_samples import built, listing


@pytest.fixture
def client(redis_url: str, redis_prefix: str) -> Iterator[TestClient]:
    built(redis_url, redis_prefix)
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix, consume=False, events=False)
    with TestClient(create_app(settings)) as test_client:
        shop = listing("0428759497", 51.0543, 3.7174, "Kaashandel Van Tricht")
        seed(test_client, [shop.model_copy(update={"contact": PublicContact(phone="+3292258757")})])
        yield test_client


def test_with_results_the_filters_fold_away_and_the_landing_page_keeps_them_open(client: TestClient) -> None:
    landing = client.get("/").text
    assert re.search(r'<details class="filters" open>', landing)
    page = client.get("/", params={"place": "9000 Gent", "category": "speciaalzaak", "delivery": "true"}).text
    assert '<details class="filters">' in page
    assert "Verfijnen (2 actief)" in page  # the folded filters say how many are on
    assert page.index('class="results"') > page.index("</details>")
    french = client.get("/", params={"place": "9000 Gand", "lang": "fr"}).text
    assert "<summary>Affiner</summary>" in french


def test_phone_numbers_read_as_people_write_them_and_dial_as_tel_links(client: TestClient) -> None:
    page = client.get("/", params={"place": "9000"}).text
    assert '<a href="tel:+3292258757">+32 9 225 87 57</a>' in page
    assert "+3292258757</a>" not in page


def test_the_page_is_self_contained_and_its_weight_is_measured(client: TestClient) -> None:
    page = client.get("/", params={"place": "9000"})
    assets = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="([^"]+)"', page.text)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets  # no external fonts, scripts or images
    weights = {asset.rsplit("/", 1)[1]: len(client.get(asset).content) for asset in assets}
    total = len(page.content) + sum(weights.values())
    parts = ", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in weights.items())
    FIGURES.append(f"shoppers' page: {total / 1024:.1f} KiB with one result (HTML {len(page.content) / 1024:.1f} KiB, "
                   f"{parts}), no external asset")
    assert total < 64 * 1024


def test_open_now_and_open_at_on_belgian_clocks(client: TestClient) -> None:
    always = Channels(opening_hours=tuple(OpeningHours(day=d, opens="00:00", closes="24:00")
                                          for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")))
    sunday_bakery = Channels(opening_hours=(OpeningHours(day="sun", opens="07:00", closes="12:00"),))
    seed(client, [listing("0403019261", 51.0550, 3.7180, "Automaat Altijd Open", channels=always),
                  listing("0202239951", 51.0560, 3.7190, "Zondagsbakker", channels=sunday_bakery)])
    page = client.get("/", params={"place": "9000", "open_now": "true"}).text
    assert "Automaat Altijd Open <span class=\"open\">Nu open</span>" in page
    assert "Kaashandel Van Tricht" not in page  # no opening hours: not known to be open
    assert "Verfijnen (1 actief)" in page

    def found(open_at: str) -> list[str]:
        answer = client.get("/v1/search", params={"place": "9000", "open_at": open_at, "radius_km": 5})
        assert answer.status_code == 200, answer.text
        return sorted(hit["name"] for hit in answer.json()["results"])

    # Sunday 29 March 2026, the clocks go forward at 2:00: 8:30 in Belgium is 6:30 UTC
    assert found("2026-03-29T08:30") == ["Automaat Altijd Open", "Zondagsbakker"]  # without offset: Belgian time
    assert found("2026-03-29T06:30:00Z") == ["Automaat Altijd Open", "Zondagsbakker"]
    assert found("2026-03-29T04:30:00Z") == ["Automaat Altijd Open"]  # 6:30 in Belgium
    assert found("2026-03-30T08:30") == ["Automaat Altijd Open"]  # Monday
    assert client.get("/v1/search", params={"place": "9000", "open_at": "morgen"}).status_code == 422


def test_the_filters_show_how_many_results_each_would_keep(client: TestClient) -> None:
    seed(client, [listing("0403019261", 51.0550, 3.7180, "Bakkerij Twee", ("bakker",),
                          channels=Channels(delivery=True))])
    page = client.get("/", params={"place": "9000"}).text
    assert re.search(r'value="bakker"> Bakker <span class="count">\(1\)</span>', page)
    assert re.search(r'value="speciaalzaak"> Speciaalzaak <span class="count">\(1\)</span>', page)
    assert re.search(r'name="delivery" value="true"> Levering <span class="count">\(1\)</span>', page)
    facets = client.get("/v1/search", params={"place": "9000", "facets": "true"}).json()["facets"]
    assert facets == {"categories": {"bakker": 1, "speciaalzaak": 1},
                      "channels": {"delivery": 1, "pickup": 0, "webshop": 0}}
