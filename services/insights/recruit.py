"""Where to recruit: the municipalities and categories where shoppers searched much and few or no businesses are
listed. Pure: k-anonymous demand cells (reader.py) and the index's listing counts in, ranked opportunities out."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.insights.reader import Cell
from services.insights.windows import ALL

CellKey = tuple[str, str]  # (municipality NIS code, category code)


@dataclass(frozen=True)
class Opportunity:
    municipality_nis: str
    category: str
    searches: int
    zero_result_searches: int
    listings: int

    @property
    def score(self) -> float:
        """Searches per listing, counting the business to recruit: where none is listed, the searches themselves."""
        return self.searches / (self.listings + 1)


def demand(cells: Iterable[Cell]) -> dict[CellKey, tuple[int, int]]:
    """Searches and searches without results per municipality and category, summed over the windows. Searches
    for no category in particular ('*') are left out: a business is recruited for what it sells."""
    summed: dict[CellKey, tuple[int, int]] = {}
    for cell in cells:
        if cell.category == ALL:
            continue
        searches, zero = summed.get((cell.municipality_nis, cell.category), (0, 0))
        summed[(cell.municipality_nis, cell.category)] = (searches + cell.searches, zero + cell.zero_result_searches)
    return summed


def ranked(searched: Mapping[CellKey, tuple[int, int]], listings: Mapping[CellKey, int], limit: int,
           ) -> list[Opportunity]:
    """The highest scores first; then more searches without results, more searches, and by code."""
    found = [Opportunity(nis, code, searches, zero, listings.get((nis, code), 0))
             for (nis, code), (searches, zero) in searched.items()]
    found.sort(key=lambda o: (-o.score, -o.zero_result_searches, -o.searches, o.municipality_nis, o.category))
    return found[:limit]
