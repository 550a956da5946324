"""What a search means, as pure functions: the normalised query (the cache key), the place it is about, distances."""

import re
from dataclasses import dataclass
from datetime import datetime

from services.common import places
from services.common.opening import minute_of_week
from services.common.places import Locality
from services.search.meaning import Term
from services.search.models import PlaceOut, place_out
from services.search.text import looks_personal, query_tokens

# The sphere Redis GEO uses, so that our distances and its radius filter agree to the metre.
EARTH_RADIUS_KM = 6372.7976
MAX_RADIUS_KM = 50.0
MAX_SIZE = 100
MAX_PAGE = 1000
MAX_Q_LENGTH = 100  # characters of the words typed
MAX_CATEGORIES = 10  # category codes in one search


class PlaceNotFound(ValueError):
    """A postcode or place name that is not Belgian (or misspelt); the message says which."""


@dataclass(frozen=True)
class SearchQuery:
    lat: float
    lon: float
    radius_km: float = 10.0
    words: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    delivery: bool = False
    pickup: bool = False
    webshop: bool = False
    page: int = 1
    size: int = 20
    exact_total: bool = False  # count every match, however many (else estimated once the page is complete)
    open_at: int | None = None  # only listings open then: the minute of the week on Belgian clocks (opening.py)
    facets: bool = False  # count the matches per category and channel (the total is then exact)
    place: PlaceOut | None = None  # the named place searched around (None for a position)
    alternatives: tuple[PlaceOut, ...] = ()  # other places the name could mean
    terms: tuple[Term, ...] = ()  # what the words mean (meaning.py); the search service's lexicon sets them
    personal: bool = False  # the words typed looked like personal data: none of them leaves the service (demand.py)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(name for name in ("delivery", "pickup", "webshop") if getattr(self, name))

    def cache_key(self) -> str:
        """Normalised: positions rounded to ~1 m, words and categories sorted."""
        return "|".join([f"{self.lat:.5f}", f"{self.lon:.5f}", f"{self.radius_km:g}", ",".join(sorted(self.words)),
                         ",".join(sorted(term.key() for term in self.terms)),
                         ",".join(sorted(self.categories)), ",".join(self.flags), str(self.page), str(self.size),
                         str(int(self.exact_total)), "" if self.open_at is None else str(self.open_at),
                         str(int(self.facets)),
                         *(p.label for p in ([self.place] if self.place else []) + list(self.alternatives))])


def build_query(lat: float, lon: float, q: str | None, radius_km: float, categories: list[str], delivery: bool,
                pickup: bool, webshop: bool, page: int, size: int,
                place: tuple[Locality, list[Locality]] | None = None, exact_total: bool = False,
                open_at: datetime | None = None, facets: bool = False) -> SearchQuery:
    named, others = place if place is not None else (None, [])
    return SearchQuery(lat=lat, lon=lon, radius_km=radius_km, words=tuple(query_tokens(q)),
                       personal=looks_personal(q),
                       categories=tuple(sorted(set(categories))), delivery=delivery, pickup=pickup,
                       webshop=webshop, page=page, size=size, exact_total=exact_total or facets, facets=facets,
                       open_at=None if open_at is None else minute_of_week(open_at),
                       place=place_out(named) if named else None,
                       alternatives=tuple(place_out(p) for p in others))


_POSTCODE_AND_NAME = re.compile(r"^\s*(?:B-?\s*)?([1-9]\d{3})\b[\s,]*(.*?)\s*$", re.IGNORECASE)


def split_place(text: str) -> tuple[str | None, str | None]:
    """What a shopper types: '9040', '9040 Sint-Amandsberg', 'B-9040 Gent', 'Sint-Amandsberg'."""
    found = _POSTCODE_AND_NAME.match(text)
    if found is None:
        return None, text.strip() or None
    return found.group(1), found.group(2) or None


def resolve_place(postcode: str | None, name: str | None) -> tuple[Locality, list[Locality]]:
    """The place to search around, and the other places the name could mean (a postcode settles it): a postcode,
    a postal locality ('Sint-Amandsberg', 'Glain') or a municipality ('Gent', 'Gand'), or both ('2600', 'Berchem')."""
    if postcode:
        postcode = postcode.strip()
        if postcode not in places.by_postcode():
            raise PlaceNotFound(f"unknown Belgian postcode {postcode!r}")
        if not name:
            centre = places.postcode_centre(postcode)
            assert centre is not None
            return centre, []
        found = places.in_postcode(postcode, name)
        if found is None:
            raise PlaceNotFound(f"{name!r} is not a place of postcode {postcode}")
        return found, []
    candidates = places.named(name or "")
    if not candidates:
        raise PlaceNotFound(f"unknown Belgian place {name!r}")
    return candidates[0], candidates[1:6]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance Redis GEO computes (its sphere), so that ours and its radius filter agree to the metre."""
    return places.haversine_km(lat1, lon1, lat2, lon2, EARTH_RADIUS_KM)
