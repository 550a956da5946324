"""The KBO snapshot ``make run`` loads before the demo registrations: a synthetic extract in the published layout
holding the demo businesses — most at the address they register, one in twenty missing (stopped: rejected
``kbo_not_active``), one in twenty with its only establishment in another town (listed ``address_unverified``) —
among a few thousand other enterprises."""

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path

from services.common import places
from services.common.categories import VOCABULARY
from services.common.enterprise import with_check_digits
from services.demo.data import DemoRegistration, generate
from services.kbo import synthetic

BACKGROUND = 3000  # other enterprises of the snapshot
EXTRACT_NUMBER, SNAPSHOT_DATE = 140, date(2026, 11, 1)
OTHER_TOWN = ("8000", "Brugge", "Steenstraat", "5")
RETAIL = "47190"  # other retail sale in non-specialised stores: a category without NACE classes of its own


# The businesses of docs/partners.md's examples, active at the addresses they register there: under `make run` the
# examples are listed, as the guide says (tests/e2e/test_partner_docs.py keeps this list and the guide in step).
DOCUMENTED = (  # number, name, postcode, place, street, house number, category
    ("0765432146", "Hoeve Ter Beke", "9040", "Sint-Amandsberg", "Beekstraat", "4", "hoeveproducten"),
    ("0712345630", "Bakkerij Sint-Pieters", "9000", "Gent", "Overpoortstraat", "49", "bakker"),
    ("0712345729", "Fromagerie Léon", "4000", "Liège", "Rue Saint-Gilles", "12", "kaas-zuivel"),
    ("0712345828", "Slagerij Van Damme", "9040", "Sint-Amandsberg", "Kerkstraat", "3", "slager"),
    ("0428759497", "Hoeve De Linde", "9000", "Gent", "Kortrijksesteenweg", "12", "hoeveproducten"),
    ("0512345684", "Hof ten Dries", "2600", "Berchem", "Driesstraat", "7", "hoeveproducten"),
)


class Fate(StrEnum):
    CONFIRMED = "confirmed"
    NOT_ACTIVE = "not-active"  # absent from the open data
    ELSEWHERE = "elsewhere"  # its establishment is in another town


def fate(index: int) -> Fate:
    match index % 20:
        case 9:
            return Fate.NOT_ACTIVE
        case 14:
            return Fate.ELSEWHERE
        case _:
            return Fate.CONFIRMED


def enterprises(demo: list[DemoRegistration]) -> Iterator[synthetic.Enterprise]:
    """The demo businesses as the KBO would hold them (the not-active ones left out)."""
    elsewhere = places.in_postcode(OTHER_TOWN[0], OTHER_TOWN[1])
    assert elsewhere is not None
    for index, registration in enumerate(demo):
        kind = fate(index)
        if kind is Fate.NOT_ACTIVE:
            continue
        body = registration.body
        address = body["address"]
        place = places.in_postcode(address["postcode"], address["municipality"])
        assert place is not None  # the demo registers on real postcodes
        site = (synthetic.site_of(place, address["street"], address["number"]) if kind is Fate.CONFIRMED else
                synthetic.site_of(elsewhere, OTHER_TOWN[2], OTHER_TOWN[3]))
        number = body["enterprise_number"]
        yield synthetic.Enterprise(number=number, legal_person=False, seat=None, name=body["name"],
                                   establishments=((with_check_digits(f"2{number[1:8]}"), site),),
                                   nace=(_nace(body["categories"][0]),))


def documented() -> Iterator[synthetic.Enterprise]:
    for number, name, postcode, locality, street, house, category in DOCUMENTED:
        place = places.in_postcode(postcode, locality)
        assert place is not None
        yield synthetic.Enterprise(number=number, legal_person=False, seat=None, name=name,
                                   establishments=((with_check_digits(f"2{number[1:8]}"), synthetic.site_of(
                                       place, street, house)),), nace=(_nace(category),))


def write_extract(path: Path, count: int = 300) -> dict[str, int]:
    demo = list(enterprises(generate(count)))
    demo += [e for e in documented() if e.number not in {d.number for d in demo}]
    numbers = {e.number for e in demo}
    background = (e for e in synthetic.population(BACKGROUND, seed=1830) if e.number not in numbers)
    return synthetic.write_full(path, [*demo, *background], EXTRACT_NUMBER, SNAPSHOT_DATE)


def _nace(category: str) -> str:
    classes = VOCABULARY[category].nace
    return classes[0].replace(".", "").ljust(5, "0") if classes else RETAIL
