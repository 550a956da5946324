"""Anonymous search events (services/search/demand.py): what an event keeps of a search, and that a full queue
drops (and counts) instead of making a search wait."""

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from services.common.places import Locality, in_postcode
from services.search.demand import Searched, SearchEvents, event_of
from services.search.query import build_query

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def query(q: str | None, lat: float = 51.0543, lon: float = 3.7174, place: str | None = None) -> Searched:
    named: tuple[Locality, list[Locality]] | None = None  # a position, unless a place is named
    if place is not None:
        found = in_postcode(place.split()[0], " ".join(place.split()[1:]))
        assert found is not None
        named = (found, [])
    built = build_query(lat, lon, q, 5, ["bakker"], True, False, False, 2, 20, named)
    return Searched(built, 7, NOW)


def test_an_event_names_the_municipality_and_postcode_never_the_position() -> None:
    event = event_of(query("bakker gent"))
    assert event is not None
    assert (event.municipality_nis, event.postcode) == ("44021", "9000")
    assert (event.words, event.categories, event.flags, event.results, event.page) == (
        ("bakker", "gent"), ("bakker",), ("delivery",), 7, 2)
    wire = event.model_dump_json()
    assert "51.05" not in wire
    assert "3.71" not in wire


def test_a_named_place_is_its_locality() -> None:
    event = event_of(query("kaas", place="9040 Sint-Amandsberg"))
    assert event is not None
    assert (event.municipality_nis, event.postcode) == ("44021", "9040")


@pytest.mark.parametrize("typed", ["jan.peeters@example.be bakker", "bakker 0471 23 45 67", "+32 9 223 45 67",
                                   "BE 0428.759.497"])
def test_a_query_with_personal_data_keeps_none_of_its_words(typed: str) -> None:
    event = event_of(query(typed))
    assert event is not None
    assert event.words == ()


def test_words_with_digits_are_left_out() -> None:
    event = event_of(query("12 ambachten bakker"))
    assert event is not None
    assert event.words == ("ambachten", "bakker")


def test_outside_belgium_there_is_no_event() -> None:
    assert event_of(query("bakker", lat=48.85, lon=2.35)) is None


def test_a_full_queue_drops_and_counts_without_waiting() -> None:
    events = SearchEvents("127.0.0.1:9", "search.performed", capacity=2)  # no broker there: nothing leaves
    dropped = REGISTRY.get_sample_value("buurt_search_events_total", {"outcome": "dropped"}) or 0
    for _ in range(5):
        events.record(query("bakker").query, 1, NOW)
    assert REGISTRY.get_sample_value("buurt_search_events_total", {"outcome": "dropped"}) == dropped + 3  # 2 queued
