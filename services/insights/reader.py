"""Reading the demand counts back (sink.py writes them) for partners, with k-anonymity: a cell (a window ×
municipality × category) counted fewer than k times is never served, nor is a word searched fewer than k times."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from redis.asyncio import Redis

from services.insights.windows import ALL, SEARCHES, ZERO, ZERO_WORD, Granularity


@dataclass(frozen=True)
class Cell:
    window: str  # its start, ISO 8601 with the Belgian offset
    municipality_nis: str
    category: str  # a code, or '*' for every search
    searches: int
    zero_result_searches: int
    zero_result_words: list[tuple[str, int]] = field(default_factory=list)  # most searched first


class DemandReader:
    def __init__(self, redis: Redis, prefix: str, k: int) -> None:
        self.redis, self.prefix, self.k = redis, prefix, k

    async def cells(self, granularity: Granularity, start: datetime, end: datetime, municipality: str | None,
                    category: str | None) -> list[Cell]:
        """The cells of the windows starting from ``start`` up to ``end`` (inclusive), of one municipality and one
        category when given ('*': every search), each with at least k searches."""
        windows = cast(list[bytes], await self.redis.zrangebyscore(
            f"{self.prefix}insights:windows:{granularity}", start.timestamp(), end.timestamp()))
        found: list[Cell] = []
        for window in (w.decode() for w in windows):
            counts = cast(dict[bytes, bytes], await self.redis.hgetall(f"{self.prefix}insights:{granularity}:{window}"))
            found += self._cells(window, {k.decode(): int(v) for k, v in counts.items()}, municipality, category)
        return found

    def _cells(self, window: str, counts: dict[str, int], municipality: str | None,
               category: str | None) -> list[Cell]:
        by_cell: dict[tuple[str, str], dict[str, int]] = {}
        for key, count in counts.items():
            nis, code, measure = key.split("|", 2)
            if (municipality and nis != municipality) or (category and code != category):
                continue
            by_cell.setdefault((nis, code), {})[measure] = count
        out = []
        for (nis, code), measures in sorted(by_cell.items(), key=lambda c: (c[0][0], c[0][1] != ALL, c[0][1])):
            if measures.get(SEARCHES, 0) < self.k:
                continue
            words = sorted(((m.removeprefix(ZERO_WORD), n) for m, n in measures.items()
                            if m.startswith(ZERO_WORD) and n >= self.k), key=lambda w: (-w[1], w[0]))
            out.append(Cell(window, nis, code, measures[SEARCHES], measures.get(ZERO, 0), words))
        return out
