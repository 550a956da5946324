"""Places as Belgians write them, in both directions: every postal locality of every postcode (the data files read
here with the csv module, not through the code under test) is accepted at intake and found by search; real addresses
with sections, other-language names and odd spellings; positions far from their postcode refused."""

import csv
import math
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.common import places
from services.registration.errors import InvalidFields
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn
from services.search.query import PlaceNotFound, resolve_place, split_place
from tests.samples import registration_body

DATA = Path(places.__file__).with_name("data")


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


LOCALITIES = [(r["postcode"], r["locality"]) for r in rows("postal-localities.csv")]
ALIASES = [(r["postcode"], r["name"]) for r in rows("locality-aliases.csv")]


def register(postcode: str, written: str, position: dict[str, float] | None = None) -> Any:
    body = registration_body("0428759497")
    body["address"] = {**body["address"], "postcode": postcode, "municipality": written}
    body["position"] = position
    return build_submitted(RegistrationIn.model_validate(body), "unizo-winkelhier", uuid.uuid4(), datetime.now(UTC))


def test_every_postal_locality_of_every_postcode_is_accepted_at_intake() -> None:
    assert len(LOCALITIES) > 2700
    refused = []
    for postcode, name in LOCALITIES + ALIASES:
        try:
            address = register(postcode, name).business.address
        except InvalidFields as exc:
            refused.append((postcode, name, exc.detail))
            continue
        assert address.postcode == postcode
        assert places.key(address.locality or "") == places.key(name) or places.key(name) in {
            places.key(n) for n in _municipality_names(postcode)}, (postcode, name, address)
    assert refused == []


def _municipality_names(postcode: str) -> set[str]:
    return {n for p in places.by_postcode()[postcode] for n in p.municipality.names}


def test_every_postal_locality_is_found_by_name_and_by_postcode_and_name() -> None:
    unresolved = []
    for postcode, name in LOCALITIES + ALIASES:
        exact, others = resolve_place(postcode, name)
        assert exact.postcode == postcode
        assert others == []
        if not any(p.matches(name) and p.municipality == exact.municipality for p in places.named(name)):
            unresolved.append((postcode, name))
        assert split_place(f"{postcode} {name}") == (postcode, name)
    assert unresolved == []


@pytest.mark.parametrize(("postcode", "written", "locality", "municipality"), [
    ("9040", "Sint-Amandsberg", "Sint-Amandsberg", "Gent"),
    ("9040", "Gent", "Sint-Amandsberg", "Gent"),
    ("9050", "Gentbrugge", "Gentbrugge", "Gent"),
    ("9050", "Ledeberg", "Ledeberg", "Gent"),
    ("9030", "Mariakerke", "Mariakerke", "Gent"),
    ("9000", "Gand", "Gent", "Gand"),
    ("2600", "Berchem", "Berchem", "Antwerpen"),
    ("2600", "Anvers", "Berchem", "Anvers"),
    ("8310", "Assebroek", "Assebroek", "Brugge"),
    ("8310", "Sint-Kruis", "Sint-Kruis", "Brugge"),
    ("4000", "Glain", "Glain", "Liège"),
    ("4000", "Rocourt", "Rocourt", "Liège"),
    ("4000", "LIEGE", "Liège", "Liège"),
    ("4000", "Luik", "Luik", "Luik"),
    ("4000", "Lüttich", "Lüttich", "Lüttich"),
    ("1020", "Laken", "Laken", "Bruxelles / Brussel"),
    ("1020", "Laeken", "Laeken", "Bruxelles / Brussel"),
    ("1000", "Brussel", "Bruxelles", "Brussel"),
    ("1180", "Ukkel", "Uccle", "Ukkel"),
    ("4700", "Eupen", "Eupen", "Eupen"),
    ("4720", "Kelmis", "Kelmis", "Kelmis"),
    ("4750", "Bütgenbach", "Butgenbach", "Bütgenbach"),
    ("3790", "Sint-Martens-Voeren", "Sint-Martens-Voeren", "Voeren"),
    ("3798", "'s-Gravenvoeren", "'s-Gravenvoeren", "Voeren"),
    ("2960", "sint job in 't goor", "Sint-Job-in-'t-Goor", "Brecht"),
    ("2220", "HEIST-OP-DEN-BERG", "Heist-op-den-Berg", "Heist-op-den-Berg"),
    ("9840", "De Pinte", "De Pinte", "Nazareth-De Pinte"),
    ("1804", "Vilvoorde", "Vilvoorde", "Vilvoorde"),
])
def test_real_addresses_name_their_locality_and_keep_the_municipality(
        postcode: str, written: str, locality: str, municipality: str) -> None:
    address = register(postcode, written).business.address
    assert (address.postcode, address.locality, address.municipality) == (postcode, locality, municipality)


@pytest.mark.parametrize(("postcode", "written", "pointer"), [
    ("9000", "Berchem", "/address/municipality"),
    ("1000", "Antwerpen", "/address/municipality"),
    ("9999", "Gent", "/address/postcode"),
    ("1001", "Brussel", "/address/postcode"),
])
def test_a_place_that_is_not_the_postcodes_is_refused_naming_the_field(postcode: str, written: str,
                                                                       pointer: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        register(postcode, written)
    assert [e.pointer for e in refused.value.errors] == [pointer]


@pytest.mark.parametrize(("postcode", "written", "position", "accepted"), [
    ("9000", "Gent", {"lat": 51.0543, "lon": 3.7174}, True),  # the Korenmarkt
    ("9040", "Sint-Amandsberg", {"lat": 51.0700, "lon": 3.7700}, True),  # 1.5 km out
    ("6600", "Bastogne", {"lat": 49.9400, "lon": 5.7500}, True),  # near Villers-la-Bonne-Eau, 7 km from town
    ("9000", "Gent", {"lat": 51.2199, "lon": 4.4035}, False),  # a Gent shop placed in Antwerp
    ("8400", "Oostende", {"lat": 51.3500, "lon": 2.7500}, False),  # 17 km out in the North Sea
    ("8300", "Knokke-Heist", {"lat": 51.5000, "lon": 3.1000}, False),  # further out
])
def test_a_position_far_from_its_postcode_is_refused_at_position(
        postcode: str, written: str, position: dict[str, float], accepted: bool) -> None:
    if accepted:
        assert register(postcode, written, position).business.position.lat == position["lat"]
        return
    with pytest.raises(InvalidFields) as refused:
        register(postcode, written, position)
    assert [e.pointer for e in refused.value.errors] == ["/position"]
    assert f"from postcode {postcode}" in refused.value.errors[0].detail


def test_without_a_position_the_listing_is_placed_at_its_locality() -> None:
    position = register("9050", "Ledeberg").business.position
    ledeberg = next(r for r in rows("postal-localities.csv") if r["locality"] == "Ledeberg")
    assert (position.lat, position.lon) == (float(ledeberg["lat"]), float(ledeberg["lon"]))


@pytest.mark.parametrize(("typed", "first", "also"), [
    ("Berchem", "2600 Berchem (Antwerpen)", "9690 Berchem (Kluisbergen)"),
    ("Sint-Amandsberg", "9040 Sint-Amandsberg (Gent)", None),
    ("Gand", "9000 Gent", None),
    ("Lüttich", "4000 Liège", None),
    ("Halle", "1500 Halle", "2980 Halle (Zoersel)"),
    ("Nazareth-De Pinte", "9810 Nazareth-De Pinte", None),
])
def test_a_name_means_its_likeliest_place_and_lists_the_others(typed: str, first: str, also: str | None) -> None:
    found, others = resolve_place(None, typed)
    assert found.label == first
    assert [p.label for p in others] == ([also] if also else [])


@pytest.mark.parametrize(("typed", "split"), [
    ("9040", ("9040", None)), ("9040 Sint-Amandsberg", ("9040", "Sint-Amandsberg")),
    ("B-9040 Gent", ("9040", "Gent")), ("9040, Gent", ("9040", "Gent")), ("Sint-Amandsberg", (None, "Sint-Amandsberg")),
    ("  2600   Berchem ", ("2600", "Berchem")),
])
def test_what_a_shopper_types_is_split_into_postcode_and_name(typed: str, split: tuple[str | None, str | None],
                                                               ) -> None:
    assert split_place(typed) == split


@pytest.mark.parametrize(("postcode", "name"), [("9999", None), (None, "Atlantis"), ("9000", "Berchem")])
def test_unknown_places_are_refused_with_a_reason(postcode: str | None, name: str | None) -> None:
    with pytest.raises(PlaceNotFound):
        resolve_place(postcode, name)


def test_a_position_becomes_its_nearest_postal_locality() -> None:
    """Against every locality's great-circle distance (the grid and the flat ranking are the code's shortcuts)."""
    rng = random.Random(11)
    every = places.localities()
    for _ in range(2000):
        near = rng.choice(every)
        lat, lon = round(near.lat + rng.uniform(-0.03, 0.03), 2), round(near.lon + rng.uniform(-0.05, 0.05), 2)
        found = places.nearest(lat, lon)
        assert found is not None
        assert _great_circle(lat, lon, found) == pytest.approx(min(_great_circle(lat, lon, p) for p in every))


def _great_circle(lat: float, lon: float, place: places.Locality) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (lat, lon, place.lat, place.lon))
    return math.acos(min(1.0, math.sin(la1) * math.sin(la2) + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1)))
