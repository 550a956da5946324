"""Synthetic KBO/BCE Open Data extracts in the exact published layout (layout.py), full and update, at any size:
real Belgian postcodes and municipality names, valid enterprise and establishment numbers, legal persons with a seat
and natural persons without, establishments, NACE-BEL 2008 activities, denominations. Each enterprise is a pure
function of (seed, index), so an update can rebuild any of them without generating the others."""

import csv
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from services.common.enterprise import with_check_digits
from services.common.places import Locality, localities
from services.kbo.layout import DATA_FILES

STREETS = ("Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat", "Kapelstraat", "Schoolstraat",
           "Markt", "Grote Markt", "Brugstraat", "Veldstraat", "Hoogstraat", "Steenweg", "Dorp", "Lindenlaan")
RUES = ("Rue de la Station", "Rue de l'Église", "Grand-Place", "Rue du Moulin", "Chaussée de Bruxelles",
        "Place communale", "Rue Haute", "Avenue des Tilleuls", "Rue de la Gare", "Rue du Centre")
NACE = ("47241", "47221", "47110", "47761", "47610", "47710", "47640", "01130", "01410", "10711", "56101", "47299",
        "47250", "10520", "47630", "96021", "62010", "43210")
CODES = (("JuridicalSituation", "000", "Normale toestand", "Situation normale"),
         ("JuridicalSituation", "001", "Juridische oprichting", "Création juridique"),
         ("JuridicalSituation", "002", "Verlenging", "Prorogation"),
         ("JuridicalSituation", "012", "Opening faillissement", "Ouverture de faillite"),
         ("TypeOfEnterprise", "1", "Natuurlijk persoon", "Personne physique"),
         ("TypeOfEnterprise", "2", "Rechtspersoon", "Personne morale"),
         ("Status", "AC", "Actief", "Actif"))


@dataclass(frozen=True)
class Site:
    postcode: str
    municipality_nl: str
    municipality_fr: str
    street_nl: str
    street_fr: str
    number: str
    box: str = ""


@dataclass(frozen=True)
class Enterprise:
    number: str  # ten digits
    legal_person: bool
    seat: Site | None
    establishments: tuple[tuple[str, Site], ...]
    nace: tuple[str, ...]
    name: str
    situation: str = "000"
    start: date = date(2015, 3, 1)


def site_of(place: Locality, street: str, number: str, box: str = "") -> Site:
    municipality = place.municipality
    return Site(place.postcode, place.name if municipality.region == "02000" else municipality.nl,
                municipality.fr, street, street, number, box)


def synthetic(index: int, seed: int = 2020) -> Enterprise:
    """Enterprise ``index`` of the synthetic population: 45 % legal persons with a seat and half an establishment on
    average, natural persons with one or (one in ten) two: 1.28 addresses per enterprise (2.56 million for 2
    million enterprises)."""
    places = _places()
    h = _mix(index, seed)
    legal = h % 100 < 45
    units = (h >> 8) % 4 // 2 if legal else 1 + ((h >> 8) % 10 == 0)
    base = f"0{index + 2_000_000:07d}"

    def site(salt: int) -> Site:
        g = _mix(index, seed + salt)
        place = places[g % len(places)]
        wallonia = place.municipality.region == "03000"
        street = (RUES if wallonia else STREETS)[(g >> 16) % 10]
        return site_of(place, street, str(1 + (g >> 24) % 180), "" if (g >> 5) % 9 else str(1 + (g >> 9) % 4))

    establishments = tuple((with_check_digits(f"2{index * 3 + u:07d}"), site(10 + u)) for u in range(units))
    return Enterprise(number=with_check_digits(base), legal_person=legal, seat=site(1) if legal else None,
                      establishments=establishments, nace=(NACE[h % len(NACE)], NACE[(h >> 20) % len(NACE)])[
                          : 1 + (h >> 3) % 2], name=f"Onderneming {index}")


def population(count: int, seed: int = 2020) -> Iterator[Enterprise]:
    return (synthetic(i, seed) for i in range(count))


def write_full(path: Path, enterprises: Iterable[Enterprise], extract_number: int = 140,
               snapshot: date = date(2026, 11, 1)) -> dict[str, int]:
    """A full extract of these enterprises; returns the rows per file."""
    with _Writer(path, "full", extract_number, snapshot) as out:
        for enterprise in enterprises:
            out.enterprise(enterprise, "")
    return out.counts


def write_update(path: Path, changed: Iterable[Enterprise], removed: Iterable[Enterprise], extract_number: int,
                 snapshot: date) -> dict[str, int]:
    """An update: every row of the changed and removed enterprises deleted; the changed ones' rows inserted."""
    with _Writer(path, "update", extract_number, snapshot) as out:
        for enterprise in removed:
            out.deleted(enterprise)
        for enterprise in changed:
            out.deleted(enterprise)
            out.enterprise(enterprise, "_insert")
    return out.counts


def moved(enterprise: Enterprise, place: Locality, street: str = "Nieuwstraat", number: str = "1") -> Enterprise:
    """The enterprise with its first establishment (or, without any, its seat) at another address."""
    if enterprise.establishments:
        unit, _ = enterprise.establishments[0]
        return replace(enterprise, establishments=((unit, site_of(place, street, number)),
                                                   *enterprise.establishments[1:]))
    return replace(enterprise, seat=site_of(place, street, number))


class _Writer:
    """The extract's files written side by side into temporary files, zipped at the end."""

    def __init__(self, path: Path, kind: str, extract_number: int, snapshot: date) -> None:
        self.path, self.kind, self.counts = path, kind, {}
        self._dir = tempfile.TemporaryDirectory(prefix="buurt-kbo-gen-")
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}  # csv writers (their type is private to _csv)
        members = ([f"{layout.name}.csv" for layout in DATA_FILES] if kind == "full" else
                   [f"{layout.name}_{part}.csv" for layout in DATA_FILES for part in ("delete", "insert")])
        for member in members:
            layout = next(layout for layout in DATA_FILES if member.startswith(layout.name))
            handle: IO[str] = (Path(self._dir.name) / member).open("w", encoding="utf-8", newline="")
            self._files[member] = handle
            self._writers[member] = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
            self._writers[member].writerow((layout.key,) if member.endswith("_delete.csv") else layout.columns)
            self.counts[member] = 0
        stamp = datetime.combine(snapshot, datetime.min.time()).replace(hour=4, minute=12)
        self._meta = [("SnapshotDate", snapshot.strftime("%d-%m-%Y")),
                      ("ExtractTimestamp", stamp.strftime("%d-%m-%Y %H:%M:%S")), ("ExtractType", kind),
                      ("ExtractNumber", str(extract_number)), ("Version", "1.0.0")]
        suffix = "" if kind == "full" else "_insert"
        for category, code, nl, fr in CODES:
            self._row(f"code{suffix}.csv", (category, code, "NL", nl))
            self._row(f"code{suffix}.csv", (category, code, "FR", fr))

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._files.values():
            handle.close()
        if exc[0] is None:
            with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                meta = Path(self._dir.name) / "meta.csv"
                with meta.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
                    writer.writerow(("Variable", "Value"))
                    writer.writerows(self._meta)
                archive.write(meta, "meta.csv")
                for member in self._files:
                    archive.write(Path(self._dir.name) / member, member)
        self._dir.cleanup()

    def _row(self, member: str, row: tuple[str, ...]) -> None:
        self._writers[member].writerow(row)
        self.counts[member] += 1

    def enterprise(self, e: Enterprise, suffix: str) -> None:
        number = _dotted(e.number)
        start = e.start.strftime("%d-%m-%Y")
        self._row(f"enterprise{suffix}.csv", (number, "AC", e.situation, "2" if e.legal_person else "1",
                                              "610" if e.legal_person else "", "", start))
        self._row(f"denomination{suffix}.csv", (number, "2", "001", e.name))
        if e.seat is not None:
            self._address(f"address{suffix}.csv", number, "REGO", e.seat)
        for code in e.nace:
            self._row(f"activity{suffix}.csv", (number, "001", "2008", code, "MAIN"))
        for unit, site in e.establishments:
            self._row(f"establishment{suffix}.csv", (_dotted_unit(unit), start, number))
            self._address(f"address{suffix}.csv", _dotted_unit(unit), "BAET", site)
            self._row(f"activity{suffix}.csv", (_dotted_unit(unit), "001", "2008", e.nace[0], "MAIN"))

    def deleted(self, e: Enterprise) -> None:
        number = _dotted(e.number)
        for member in ("enterprise", "denomination", "address", "activity", "contact"):
            self._row(f"{member}_delete.csv", (number,))
        for unit, _ in e.establishments:
            self._row("establishment_delete.csv", (_dotted_unit(unit),))
            self._row("address_delete.csv", (_dotted_unit(unit),))
            self._row("activity_delete.csv", (_dotted_unit(unit),))

    def _address(self, member: str, entity: str, kind: str, site: Site) -> None:
        self._row(member, (entity, kind, "België", "Belgique", site.postcode, site.municipality_nl,
                           site.municipality_fr, site.street_nl, site.street_fr, site.number, site.box, "", ""))


def _dotted(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def _dotted_unit(number: str) -> str:
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


_PLACES: list[Locality] = []


def _places() -> list[Locality]:
    if not _PLACES:
        _PLACES.extend(localities())
    return _PLACES


def _mix(index: int, salt: int) -> int:
    """A well-spread 64-bit integer from (index, salt) (splitmix64), cheaper than a seeded Random per enterprise."""
    z = (index * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9 + 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)

