"""Demand windows (services/insights/windows.py): Belgian hours, days and ISO weeks, what a search adds to, and
what of the counts is served (reader.py: k-anonymity)."""

from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis

from services.common.events import SearchPerformed
from services.insights.reader import DemandReader
from services.insights.windows import contributions, count_of, window_start


def test_windows_are_belgian_hours_days_and_iso_weeks() -> None:
    at = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 30 November, 00:30 in Brussels
    assert window_start(at, "hour").isoformat() == "2026-11-30T00:00:00+01:00"
    assert window_start(at, "day").isoformat() == "2026-11-30T00:00:00+01:00"
    assert window_start(at, "week").isoformat() == "2026-11-30T00:00:00+01:00"
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # a Wednesday, in summer time
    assert window_start(summer, "week").isoformat() == "2026-06-29T00:00:00+02:00"


def event(results: int, page: int = 1) -> SearchPerformed:
    return SearchPerformed(at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC), municipality_nis="44021", postcode="9000",
                           radius_km=5, categories=("slager",), words=("beenhouwer",), results=results, page=page)


def test_a_search_without_results_counts_its_words_under_all_and_its_categories() -> None:
    cells = {key.split("|", 2)[2] for key in contributions(event(0)) if key.startswith("day|")}
    assert cells == {"44021|*|searches", "44021|*|zero", "44021|*|zero-word:beenhouwer", "44021|slager|searches",
                     "44021|slager|zero", "44021|slager|zero-word:beenhouwer"}
    assert len(contributions(event(0))) == 3 * len(cells)  # hour, day, week


def test_a_search_with_results_counts_once_and_a_further_page_not_again() -> None:
    assert {key.split("|", 2)[2] for key in contributions(event(4)) if key.startswith("hour|")} == {
        "44021|*|searches", "44021|slager|searches"}
    assert contributions(event(4, page=2)) == []


def test_cells_and_words_counted_fewer_than_k_times_are_never_served() -> None:
    reader = DemandReader(cast(Redis, None), "p:", k=3)
    counts = {"44021|*|searches": 9, "44021|*|zero": 4, "44021|*|zero-word:vis": 3, "44021|*|zero-word:ijs": 2,
              "44021|*|zero-word:beenhouwer": 4, "44021|vis|searches": 3, "44021|vis|zero": 3,
              "44021|slager|searches": 2, "11002|*|searches": 1}
    cells = reader._cells("2026-11-27T00:00:00+01:00", counts, None, None)
    assert [(c.municipality_nis, c.category, c.searches, c.zero_result_searches, c.zero_result_words)
            for c in cells] == [("44021", "*", 9, 4, [("beenhouwer", 4), ("vis", 3)]), ("44021", "vis", 3, 3, [])]
    assert reader._cells("w", counts, "11002", None) == []
    assert [c.category for c in reader._cells("w", counts, None, "vis")] == ["vis"]


def test_a_cell_key_and_count_become_the_compacted_topics_record() -> None:
    [key] = [k for k in contributions(event(4)) if k.startswith("week|") and "|*|" in k]
    record = count_of(key, 12)
    assert (record.granularity, record.window.isoformat(), record.municipality_nis, record.category,
            record.measure, record.count) == ("week", "2026-11-23T00:00:00+01:00", "44021", "*", "searches", 12)
