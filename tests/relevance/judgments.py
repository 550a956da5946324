"""The judged query set (judged.yaml) and its judgments over a corpus: which listings a person would expect for a
query, from the listings' own data (categories, name, address), never from the search code."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from geographiclib.geodesic import Geodesic

from services.common.events import Listing
from services.common.text import fold

SOURCE = Path(__file__).with_name("judged.yaml")
RADIUS_KM = 15.0
EDGE_KM = 0.2  # listings this close to the radius are judged neither way: the search's sphere and WGS84 differ


@dataclass(frozen=True)
class Judged:
    place: str  # a postcode: the search is centred on it
    typed: str
    categories: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()  # folded place names of the address, any of which
    name: str | None = None  # folded

    def wants(self, listing: Listing) -> bool:
        if self.name is not None:
            return fold(listing.name) == self.name
        address = {fold(listing.address.municipality), fold(listing.address.locality or "")}
        return bool(self.categories & set(listing.categories)) and (not self.places or bool(self.places & address))


def judged() -> list[Judged]:
    out = []
    for place, lines in yaml.safe_load(SOURCE.read_text(encoding="utf-8")).items():
        for line in lines:
            typed, wanted = (part.strip() for part in line.split("=>"))
            out.append(_judged(str(place), typed, wanted))
    return out


def _judged(place: str, typed: str, wanted: str) -> Judged:
    kind, _, rest = wanted.partition(":")
    if kind == "name":
        return Judged(place, typed, name=fold(rest))
    if kind != "cat":
        raise ValueError(f"judged.yaml: {typed!r} => {wanted!r}: expected cat:… or name:…")
    codes, _, places = rest.partition("@")
    return Judged(place, typed, frozenset(c.strip() for c in codes.split(",")),
                  frozenset(fold(p) for p in places.split(",") if p.strip()))


def distance_km(lat: float, lon: float, listing: Listing) -> float:
    found = Geodesic.WGS84.Inverse(lat, lon, listing.position.lat, listing.position.lon)
    return float(found["s12"]) / 1000


def on_edge(lat: float, lon: float, listing: Listing) -> bool:
    return abs(distance_km(lat, lon, listing) - RADIUS_KM) <= EDGE_KM
