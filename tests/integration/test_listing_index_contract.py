"""One contract for the search index, run against Redis (real) and the in-memory fake (unit tests) alike: what is
found within a radius, filtered by categories (any of), flags and words (every one, as a prefix), in what order,
page by page; upserts, tombstones, generations, counts and type-ahead."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from geographiclib.geodesic import Geodesic
from redis.asyncio import Redis

from services.common.events import Channels, Listing, OpeningHours
from services.search.index import Advance, IndexBehind, IndexLost, ListingIndex, RedisListingIndex
from services.search.meaning import Lexicon, Term, default_lexicon
from services.search.query import SearchQuery, build_query
from services.search.text import tokens
from tests.fakes import InMemoryListingIndex
from tests.search_samples import listing

GENT = (51.0543, 3.7174)
KORENMARKT, DAMPOORT, ANTWERPEN = "0428759497", "0403019261", "0202239951"


@pytest.fixture(params=["redis", "memory"])
async def index(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[ListingIndex]:
    if request.param == "memory":
        memory = InMemoryListingIndex()
        await memory.mark_built()
        yield memory
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    index = RedisListingIndex(redis, redis_prefix)
    await index.mark_built()  # as the consumer's rebuild leaves it
    yield index
    await redis.aclose()


def query(**overrides: object) -> SearchQuery:
    arguments: dict[str, object] = {"lat": GENT[0], "lon": GENT[1], "q": None, "radius_km": 5.0, "categories": [],
                                    "delivery": False, "pickup": False, "webshop": False, "page": 1, "size": 20}
    return build_query(**{**arguments, **overrides})  # type: ignore[arg-type]


def numbers(found: object) -> list[str]:
    return [item.enterprise_number for item in found.hits]  # type: ignore[attr-defined]


async def seed(index: ListingIndex) -> None:
    await index.apply([
        (KORENMARKT, listing(KORENMARKT, 51.0547, 3.7219, "Kaasmakerij Van Gent", ("kaas-zuivel",),
                             channels=Channels(delivery=True))),
        (DAMPOORT, listing(DAMPOORT, 51.0562, 3.7409, "Hoeve Dampoort", ("hoeveproducten", "streekproducten"),
                           channels=Channels(pickup=True, webshop="https://hoeve.example.be"))),
        (ANTWERPEN, listing(ANTWERPEN, 51.2199, 4.4035, "Bakkerij Antwerpen", ("bakker",), municipality="Antwerpen",
                            postcode="2000")),
    ])


async def test_found_within_the_radius_nearest_first_with_distances(index: ListingIndex) -> None:
    await seed(index)
    found = await index.find(query())
    assert (found.total, numbers(found)) == (2, [KORENMARKT, DAMPOORT])
    for item in found.hits:  # the WGS84 geodesic as reference; the index measures on a sphere
        reference = Geodesic.WGS84.Inverse(*GENT, item.position.lat, item.position.lon)["s12"] / 1000
        assert abs(item.distance_km - reference) <= 0.005 * reference
    assert (await index.find(query(radius_km=40))).total == 2
    assert (await index.find(query(lat=51.2199, lon=4.4035, radius_km=1))).total == 1


async def test_filters_categories_any_of_flags_and_word_prefixes(index: ListingIndex) -> None:
    await seed(index)
    assert numbers(await index.find(query(categories=["bakker", "kaas-zuivel"]))) == [KORENMARKT]
    assert numbers(await index.find(query(pickup=True, webshop=True))) == [DAMPOORT]
    assert numbers(await index.find(query(delivery=True, pickup=True))) == []
    assert numbers(await index.find(query(q="hoeve damp"))) == [DAMPOORT]
    assert numbers(await index.find(query(q="fromage"))) == [KORENMARKT]  # the French label of its category
    assert numbers(await index.find(query(q="gand"))) == [KORENMARKT, DAMPOORT]  # its municipality, in French
    assert numbers(await index.find(query(q="bakkerij", lat=51.2, lon=4.4))) == [ANTWERPEN]


async def test_equal_distances_are_ordered_by_name_page_by_page(index: ListingIndex) -> None:
    names = ["Zuivel", "Appel", "Markt", "Bakker", "Kaas"]
    numbers_ = ["0200000089", "0200000188", "0200000287", "0200000386", "0200000485"]
    await index.apply([(n, listing(n, GENT[0] + 0.01, GENT[1], name)) for n, name in zip(numbers_, names, strict=True)])
    pages = [numbers(await index.find(query(size=2, page=page))) for page in (1, 2, 3)]
    by_name = [n for _, n in sorted(zip(names, numbers_, strict=True))]
    assert [n for page in pages for n in page] == by_name
    assert (await index.find(query(size=2, page=3))).total == 5


async def test_upserts_replace_tombstones_remove_and_each_change_moves_the_generation(index: ListingIndex) -> None:
    assert await index.format_current()
    before = await index.generation()
    await seed(index)
    seeded = await index.generation()
    assert seeded > before
    await index.apply([(KORENMARKT, listing(KORENMARKT, 51.0547, 3.7219, "Slagerij Van Gent", ("slager",))),
                       (DAMPOORT, None)])
    assert await index.generation() > seeded
    [renamed, removed] = await index.get_many([KORENMARKT, DAMPOORT])
    assert renamed is not None
    assert (renamed.name, removed) == ("Slagerij Van Gent", None)
    assert numbers(await index.find(query(q="kaasmakerij"))) == []  # no trace of the old name
    assert await index.count() == 2
    counts = await index.category_counts()
    assert (counts["slager"], counts["kaas-zuivel"], counts["hoeveproducten"]) == (1, 0, 0)
    assert await index.format_current()


async def test_a_name_match_of_every_word_comes_first_then_the_nearest(index: ListingIndex) -> None:
    near, far, farther = "0000000001", "0000000002", "0000000003"
    await index.apply([(near, listing(near, 51.0550, 3.7174, "Winkel Peeters", ("bakker",))),
                       (far, listing(far, 51.0800, 3.7174, "Bakkerij Claes", ("bakker",))),
                       (farther, listing(farther, 51.0900, 3.7174, "Bakkerij Gent", ("speciaalzaak",)))])
    assert numbers(await index.find(query(q="bakker"))) == [far, farther, near]  # 'Bakkerij …' by name first
    assert numbers(await index.find(query(q="bakker gent"))) == [farther, near, far]  # the others are in Gent
    pages = [numbers(await index.find(query(q="bakker", size=1, page=p))) for p in (1, 2, 3)]
    assert pages == [[far], [farther], [near]]  # paging follows the same order
    assert numbers(await index.find(query(q="brood"))) == [near, far]  # no name has 'brood': the nearest first
    assert (await index.find(query(q="bakker", size=1))).total == 3


async def test_name_words_are_those_of_names_and_unknown_addresses_starting_with_a_letter(
        index: ListingIndex) -> None:
    await seed(index)
    await index.apply([("0000000001", listing("0000000001", *GENT, "12 Ambachten Ökomarkt"))])
    words = await index.name_words()
    assert {"kaasmakerij", "van", "gent", "hoeve", "dampoort", "bakkerij", "antwerpen", "ambachten",
            "okomarkt"} <= set(words)
    assert "12" not in words
    assert words == sorted(words)


def understood(q: str) -> tuple[Term, ...]:
    return default_lexicon().understand(tokens(q))


async def test_type_ahead_finds_listings_matching_every_term(index: ListingIndex) -> None:
    await seed(index)
    assert await index.matching(understood("hoeve"), 50) == [DAMPOORT]
    assert sorted(await index.matching(understood("gent"), 50)) == sorted([KORENMARKT, DAMPOORT])
    assert await index.matching(understood("kaas gent"), 50) == [KORENMARKT]
    assert await index.matching(understood("boerderij"), 50) == [DAMPOORT]  # a synonym of its category
    assert await index.matching(understood("zzz"), 50) == []


async def test_type_ahead_on_names_only_leaves_out_place_and_category_matches(index: ListingIndex) -> None:
    await seed(index)
    assert await index.matching(understood("gen"), 50, names_only=True) == [KORENMARKT]  # 'Van Gent', not 'in Gent'
    assert await index.matching(understood("boerderij"), 50, names_only=True) == []
    assert await index.matching(understood("ho da"), 50, names_only=True) == [DAMPOORT]
    assert await index.matching(Lexicon(["kaasmakerij"]).understand(["kaasmakrij"]), 50, names_only=True) == [
        KORENMARKT]  # one typo


async def test_clear_empties_the_index_and_a_search_of_it_is_refused(index: ListingIndex) -> None:
    await seed(index)
    await index.clear()
    assert await index.count() == 0
    with pytest.raises(IndexLost):  # not "nothing found": the index is not there to answer
        await index.find(query(radius_km=40))


async def test_a_hit_names_its_categories_with_their_labels_whether_the_vocabulary_knows_them_or_not(
        index: ListingIndex) -> None:
    await index.apply([(KORENMARKT, listing(KORENMARKT, 51.0547, 3.7219, "Kaasmakerij Van Gent",
                                            ("kaas-zuivel", "hoeveproducten"))),
                       (DAMPOORT, listing(DAMPOORT, 51.0562, 3.7409, "Hoeve Dampoort", ("retired-category",)))])
    # the reference: the labels as written in services/common/categories.py, and a code's own name otherwise
    expected = {KORENMARKT: [("kaas-zuivel", "Kaas en zuivel", "Fromages et produits laitiers"),
                             ("hoeveproducten", "Hoeveproducten", "Produits de la ferme")],
                DAMPOORT: [("retired-category", "retired-category", "retired-category")]}
    for hits in ((await index.find(query())).hits, await index.get_many([KORENMARKT, DAMPOORT])):
        got = {h.enterprise_number: [(c.code, c.labels["nl"], c.labels["fr"]) for c in h.categories]
               for h in hits if h is not None}
        assert got == expected


async def test_listings_are_counted_per_municipality_and_category(index: ListingIndex) -> None:
    await seed(index)
    amandsberg = "0417497106"  # Sint-Amandsberg (9040) is a postal locality of Gent (44021)
    await index.apply([(amandsberg, listing(amandsberg, 51.0650, 3.7490, "Kaashandel Oost", ("kaas-zuivel",),
                                            municipality="Sint-Amandsberg", postcode="9040"))])
    cells = [("44021", "kaas-zuivel"), ("44021", "hoeveproducten"), ("44021", "bakker"), ("11002", "bakker"),
             ("11002", "kaas-zuivel"), ("21004", "bakker")]
    assert await index.listings_in(cells) == {("44021", "kaas-zuivel"): 2, ("44021", "hoeveproducten"): 1,
                                              ("44021", "bakker"): 0, ("11002", "bakker"): 1,
                                              ("11002", "kaas-zuivel"): 0, ("21004", "bakker"): 0}
    await index.apply([(KORENMARKT, None)])
    assert await index.listings_in([("44021", "kaas-zuivel")]) == {("44021", "kaas-zuivel"): 1}


async def test_the_consumers_changes_go_only_into_a_built_index(index: ListingIndex) -> None:
    await index.clear()  # what a Redis that lost its data looks like
    assert not await index.is_built()
    with pytest.raises(IndexLost):
        await index.apply([(KORENMARKT, listing(KORENMARKT, *GENT))], guarded=True)
    assert await index.count() == 0
    await index.mark_built()
    await index.apply([(KORENMARKT, listing(KORENMARKT, *GENT))], guarded=True)
    assert await index.count() == 1
    await index.clear()  # what a rebuild does first
    assert not await index.is_built()
    with pytest.raises(IndexLost):
        await index.apply([(DAMPOORT, None)], guarded=True)


async def test_the_positions_move_with_the_changes_and_an_index_elsewhere_refuses_them(index: ListingIndex) -> None:
    await index.clear()
    await index.mark_built({0: 41, 3: 7})  # as a rebuild that read up to there leaves it
    assert await index.positions() == {0: 41, 3: 7}
    await index.apply([(KORENMARKT, listing(KORENMARKT, *GENT))], guarded=True,
                      advances=[Advance(0, 41, 45), Advance(5, None, 2)])  # partition 5: not known, not checked
    assert await index.positions() == {0: 45, 3: 7, 5: 2}
    generation = await index.generation()
    await index.apply([], guarded=True, advances=[Advance(3, 7, 9)])  # records the index skips still move it
    assert await index.positions() == {0: 45, 3: 7 + 2, 5: 2}
    assert await index.generation() == generation  # and leave the cached results valid

    for stale in (Advance(0, 50, 52), Advance(0, 44, 52), Advance(7, 1, 3)):  # behind, ahead, never seen
        with pytest.raises(IndexBehind):
            await index.apply([(DAMPOORT, listing(DAMPOORT, *GENT))], guarded=True,
                              advances=[Advance(3, 9, 10), stale])
    assert await index.positions() == {0: 45, 3: 9, 5: 2}  # nothing changed
    assert await index.count() == 1
    await index.clear()
    assert await index.positions() == {}


async def test_a_feed_holds_the_municipalitys_listings_consented_for_municipal_sites(index: ListingIndex) -> None:
    feed_too = ("listing", "municipal-sites")
    await index.apply([
        (KORENMARKT, listing(KORENMARKT, 51.0547, 3.7219, "Kaasmakerij", purposes=feed_too)),
        (DAMPOORT, listing(DAMPOORT, 51.0562, 3.7409, "Hoeve Dampoort")),  # search only
        (ANTWERPEN, listing(ANTWERPEN, 51.2199, 4.4035, "Bakkerij", municipality="Antwerpen", postcode="2000",
                            purposes=feed_too)),
    ])
    assert [hit.enterprise_number for hit in (await index.feed(["44021"])).hits] == [KORENMARKT]
    assert [hit.enterprise_number for hit in (await index.feed(["44021", "11002"])).hits] == [ANTWERPEN, KORENMARKT]
    await index.apply([(KORENMARKT, None)])
    assert (await index.feed(["44021"])).hits == []
    await index.clear()
    with pytest.raises(IndexLost):
        await index.feed(["44021"])


async def test_open_at_keeps_the_listings_open_then_on_belgian_clocks(index: ListingIndex) -> None:
    weekdays = tuple(OpeningHours(day=d, opens="09:00", closes="18:00") for d in ("mon", "tue", "wed", "thu", "fri"))
    late = (OpeningHours(day="fri", opens="18:00", closes="02:00"),)
    await index.apply([
        (KORENMARKT, listing(KORENMARKT, 51.0547, 3.7219, "Kaasmakerij", channels=Channels(opening_hours=weekdays))),
        (DAMPOORT, listing(DAMPOORT, 51.0562, 3.7409, "Nachtwinkel", channels=Channels(opening_hours=late))),
        (ANTWERPEN, listing(ANTWERPEN, 51.0560, 3.7300, "Zonder uren")),  # no hours: never "open"
    ])
    tuesday_ten = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Belgium
    saturday_one = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 1:00 Saturday in Belgium: Friday night's hours
    assert numbers(await index.find(query(open_at=tuesday_ten))) == [KORENMARKT]
    assert numbers(await index.find(query(open_at=saturday_one))) == [DAMPOORT]
    assert numbers(await index.find(query(open_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC)))) == []  # Sunday
    assert len(numbers(await index.find(query()))) == 3


async def test_facets_count_every_match_per_category_and_channel(index: ListingIndex) -> None:
    await seed(index)
    far = [(f"0{n:07d}{97 - (n * 100) % 97:02d}", listing(f"0{n:07d}{97 - (n * 100) % 97:02d}", 51.0543 + n / 2000,
                                                          3.7174, f"Bakker {n}", ("bakker",),
                                                          channels=Channels(delivery=n % 2 == 0)))
           for n in range(1, 41)]
    await index.apply(far)
    found = await index.find(query(size=5, facets=True, radius_km=10))
    assert found.exact
    assert found.total == 42  # Kaasmakerij, Hoeve Dampoort and the forty bakers; Antwerpen lies outside
    assert found.facets is not None
    assert found.facets.categories == {"bakker": 40, "kaas-zuivel": 1, "hoeveproducten": 1, "streekproducten": 1}
    assert found.facets.channels == {"delivery": 21, "pickup": 1, "webshop": 1}
    narrowed = await index.find(query(facets=True, radius_km=10, delivery=True))
    assert narrowed.facets is not None
    assert narrowed.facets.categories == {"bakker": 20, "kaas-zuivel": 1}
    assert (await index.find(query(radius_km=10))).facets is None


def baker(n: int) -> tuple[str, Listing]:
    number = f"0{n:07d}{97 - (n * 100) % 97:02d}"
    return number, listing(number, 51.0543 + (n % 90) / 10000, 3.7174 + (n // 90) / 10000, f"Bakker {n}", ("bakker",))


@pytest.mark.parametrize(("bakers", "counted"), [(5000, True), (5001, False)])
async def test_facets_are_counted_up_to_five_thousand_matches_and_absent_beyond(
        redis_url: str, redis_prefix: str, bakers: int, counted: bool) -> None:
    """Beyond 5,000 matches the search script does not read every listing to count them (Redis would be busy too
    long): the answer has no facets, and its page is still the nearest listings."""
    redis = Redis.from_url(redis_url)
    index = RedisListingIndex(redis, redis_prefix)
    await index.mark_built()
    try:
        placed = [baker(n) for n in range(1, bakers + 1)]
        await index.apply(placed)
        found = await index.find(query(facets=True, radius_km=10, size=10))
        assert found.total == bakers
        assert (found.facets is not None) is counted
        if found.facets is not None:
            assert found.facets.categories == {"bakker": bakers}
        nearest = sorted(placed, key=lambda item: Geodesic.WGS84.Inverse(*GENT, item[1].position.lat,
                                                                           item[1].position.lon)["s12"])
        assert numbers(found) == [number for number, _ in nearest[:10]]
    finally:
        await redis.aclose()
