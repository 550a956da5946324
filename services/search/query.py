"""What a search means, as pure functions: the normalised query (the cache key), the place it is about, distances."""

import math
from dataclasses import dataclass

from services.common.places import Place, all_places
from services.common.text import fold
from services.search.text import query_tokens

# The sphere Redis GEO uses, so that our distances and its radius filter agree to the metre.
EARTH_RADIUS_KM = 6372.7976
MAX_RADIUS_KM = 50.0
MAX_SIZE = 100


class PlaceNotFound(ValueError):
    """A postcode or municipality that is not Belgian (or misspelt)."""


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

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(name for name in ("delivery", "pickup", "webshop") if getattr(self, name))

    def cache_key(self) -> str:
        """Normalised: positions rounded to ~1 m, words and categories sorted."""
        return "|".join([f"{self.lat:.5f}", f"{self.lon:.5f}", f"{self.radius_km:g}", ",".join(sorted(self.words)),
                         ",".join(sorted(self.categories)), ",".join(self.flags), str(self.page), str(self.size)])


def build_query(lat: float, lon: float, q: str | None, radius_km: float, categories: list[str], delivery: bool,
                pickup: bool, webshop: bool, page: int, size: int) -> SearchQuery:
    return SearchQuery(lat=lat, lon=lon, radius_km=radius_km, words=tuple(query_tokens(q)),
                       categories=tuple(sorted(set(categories))), delivery=delivery, pickup=pickup,
                       webshop=webshop, page=page, size=size)


def resolve_place(postcode: str | None, municipality: str | None) -> Place:
    """The position of a postcode, or of a municipality by its Dutch or French name ('Gent' / 'Gand')."""
    places = all_places()
    if postcode:
        for place in places:
            if place.postcode == postcode.strip():
                return place
        raise PlaceNotFound(f"unknown Belgian postcode {postcode!r}")
    wanted = fold(municipality or "")
    for place in places:
        if wanted in (fold(place.municipality_nl), fold(place.municipality_fr)):
            return place
    raise PlaceNotFound(f"unknown Belgian municipality {municipality!r}")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
