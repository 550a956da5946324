"""Deterministic demo registrations on real Belgian postcodes (Faker nl_BE for names and streets)."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from services.common.enterprise import with_check_digits
from services.common.places import localities
from services.common.vocabulary import ConsentMethod
from services.registration.adapters import VLAM_METHODS

PARTNER_CATEGORIES = {
    "unizo-winkelhier": ["speciaalzaak", "boeken", "kleding", "bloemen", "diensten", "bakker", "schoenen", "fietsen",
                         "speelgoed"],
    "nsz-koopvanuitjekot": ["speciaalzaak", "kleding", "boeken", "slager", "chocolade", "wijn"],
    "vlam-lekkervanbijons": ["voedingsspeciaalzaak", "streekproducten", "kaas-zuivel", "bakker", "drank", "vis",
                             "chocolade", "wijn"],
    "vlam-rechtvanbijdeboer": ["hoeveproducten", "groenten-fruit", "automaat", "afhaalpunt", "kaas-zuivel", "ijs",
                               "eieren", "honing", "bio"],
    "gemeenten": ["speciaalzaak", "diensten", "streekproducten"],
}
SHOP_WORDS = {"hoeveproducten": "Hoeve", "bakker": "Bakkerij", "slager": "Slagerij", "kaas-zuivel": "Kaasmakerij",
              "groenten-fruit": "Fruitbedrijf", "bloemen": "Bloemen", "boeken": "Boekhandel", "drank": "Brouwerij",
              "automaat": "Hoeveautomaat", "streekproducten": "Streekwinkel", "vis": "Vishandel",
              "chocolade": "Chocolaterie", "ijs": "Hoeve-ijs", "wijn": "Wijnhandel", "eieren": "Eierboerderij",
              "honing": "Imkerij", "bio": "Biowinkel", "schoenen": "Schoenen", "fietsen": "Fietsen",
              "speelgoed": "Speelgoed"}
# Demo positions cluster around a few cities so the README's example query (Gent, 10 km) shows plenty.
# Partners collect consent in these ways (every one a clear affirmative act; see vocabulary.AFFIRMATIVE).
METHODS = (ConsentMethod.TICKED_BOX, ConsentMethod.TICKED_BOX, ConsentMethod.DOUBLE_OPT_IN, ConsentMethod.SIGNED_FORM,
           ConsentMethod.RECORDED_CALL)
VLAM_CODES = {method.value: code for code, method in VLAM_METHODS.items()}
HOTSPOTS = ["9000", "2000", "3000", "8000", "1000", "3500", "8500", "9300", "2800", "4000", "5000", "7000"]


@dataclass(frozen=True)
class DemoRegistration:
    partner_id: str
    body: dict[str, Any]
    withdraw: bool


def _hours(days: str, opens: str, closes: str) -> list[dict[str, str]]:
    return [{"day": day, "opens": opens, "closes": closes} for day in days.split()]


# Opening hours as shops keep them: closed days, a Sunday morning, a late Friday past midnight, a vending machine.
OPENING_HOURS = [
    _hours("tue wed thu fri sat", "09:00", "18:00"),
    _hours("mon tue wed thu fri", "08:30", "17:30") + _hours("sat", "09:00", "12:30"),
    _hours("wed thu fri sat", "10:00", "18:00") + _hours("sun", "08:00", "12:00"),
    _hours("thu", "17:00", "23:00") + _hours("fri sat", "18:00", "02:00"),
    _hours("mon tue wed thu fri sat sun", "00:00", "24:00"),
    [],  # hours not given
]


def enterprise_number(rng: random.Random) -> str:
    """A random valid number: 0, seven digits and the check digits."""
    return with_check_digits(f"0{rng.randrange(2_000_000, 9_999_999):07d}")


def generate(count: int = 300, seed: int = 2020) -> list[DemoRegistration]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    fake = Faker("nl_BE")
    fake.seed_instance(seed)
    places = {p.postcode: p for p in localities()}  # one locality per postcode (its last, by name)
    partners = list(PARTNER_CATEGORIES)
    now = datetime.now(UTC)
    demo = []
    for i in range(count):
        partner = partners[i % len(partners)]
        place = places[HOTSPOTS[(i // 3) % len(HOTSPOTS)]] if i % 3 else rng.choice(list(places.values()))
        categories = rng.sample(PARTNER_CATEGORIES[partner], k=rng.randint(1, 2))
        word = SHOP_WORDS.get(categories[0], "Winkel")
        consented = i % 11 != 7  # about one in eleven did not tick the listing box
        body = {
            "enterprise_number": enterprise_number(rng),
            "name": f"{word} {fake.last_name()}",
            "address": {"street": fake.street_name(), "number": str(rng.randint(1, 180)),
                        "postcode": place.postcode, "municipality": place.name},
            "position": {"lat": round(min(51.55, max(49.45, place.lat + rng.uniform(-0.03, 0.03))), 6),
                         "lon": round(min(6.45, max(2.55, place.lon + rng.uniform(-0.045, 0.045))), 6)},
            "categories": categories,
            "contact": {"phone": f"+32 9 2{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                        "website": f"https://www.{word.lower()}-{i}.example.be"},
            "channels": {"opening_hours": OPENING_HOURS[i % len(OPENING_HOURS)]},
            "consent": {
                # about half also agreed to appear on their municipality's site (its feed: docs/search.md)
                "purposes": (["listing", "municipal-sites"] if i % 2 else ["listing"]) if consented else ["newsletter"],
                "given_at": (now - timedelta(days=rng.randint(1, 300))).isoformat(),
                "notice_version": "2020-04", "method": METHODS[i % len(METHODS)].value,
                "evidence_ref": f"{partner}/{2020_000 + i}", "language": "nl",
                "person": {"name": fake.name(), "email": fake.email(), "role": "zaakvoerder"},
            },
        }
        demo.append(DemoRegistration(partner, body, withdraw=consented and i % 25 == 3))
    return demo


def as_vlam(body: dict[str, Any]) -> dict[str, Any]:
    """The same registration in the marketing board's native format (Dutch field names), for its adapter."""
    consent, address, contact = body["consent"], body["address"], body["contact"]
    return {
        "ondernemingsnummer": body["enterprise_number"], "naam": body["name"],
        "adres": {"straat": address["street"], "huisnummer": address["number"], "postcode": address["postcode"],
                  "gemeente": address["municipality"]},
        "ligging": {"breedtegraad": body["position"]["lat"], "lengtegraad": body["position"]["lon"]},
        "categorieen": body["categories"],
        "contact": {"telefoon": contact.get("phone"), "website": contact.get("website")},
        "kanalen": {"openingsuren": [{"dag": h["day"], "van": h["opens"], "tot": h["closes"]}
                                     for h in body.get("channels", {}).get("opening_hours", [])]},
        "toestemming_koopinjebuurt": "listing" in consent["purposes"],
        "toestemming": {"datum": consent["given_at"], "versie": consent["notice_version"],
                        "methode": VLAM_CODES[consent["method"]], "referentie": consent["evidence_ref"],
                        "taal": consent["language"],
                        "persoon": {"naam": consent["person"]["name"], "email": consent["person"]["email"],
                                    "functie": consent["person"]["role"]}},
    }
