"""The recruit-here ranking (services/insights/recruit.py): demand summed over windows per municipality and
category, joined with the listings there, most searches per listing (counting the one to recruit) first."""

from services.insights.reader import Cell
from services.insights.recruit import demand, ranked


def cell(window: str, nis: str, category: str, searches: int, zero: int = 0) -> Cell:
    return Cell(window, nis, category, searches, zero)


def test_demand_is_summed_over_the_windows_per_municipality_and_category_without_every_search() -> None:
    cells = [cell("2026-11-23", "44021", "*", 40, 9), cell("2026-11-23", "44021", "slager", 7, 7),
             cell("2026-11-24", "44021", "slager", 5, 2), cell("2026-11-24", "11002", "vis", 6, 6)]
    assert demand(cells) == {("44021", "slager"): (12, 9), ("11002", "vis"): (6, 6)}


def test_most_searches_per_listing_first_counting_the_business_to_recruit() -> None:
    searched = {("44021", "slager"): (12, 9), ("44021", "bakker"): (30, 0), ("11002", "vis"): (6, 6),
                ("11002", "wijn"): (6, 2), ("21004", "ijs"): (5, 5)}
    listings = {("44021", "bakker"): 4, ("44021", "slager"): 1}  # none listed for the others
    found = ranked(searched, listings, limit=10)
    # scores: slager 12/2, bakker 30/5, vis 6/1, wijn 6/1 = 6, then by searches without results; ijs 5/1
    assert [(o.municipality_nis, o.category, o.listings, o.score) for o in found] == [
        ("44021", "slager", 1, 6.0), ("11002", "vis", 0, 6.0), ("11002", "wijn", 0, 6.0),
        ("44021", "bakker", 4, 6.0), ("21004", "ijs", 0, 5.0)]
    assert len(ranked(searched, listings, limit=2)) == 2
