"""Realistic sample inputs shared by the tests (fictitious people; valid Belgian enterprise numbers)."""

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.events import KboCheck, RegistrationSubmitted
from services.demo.cli import kafka_export_event
from services.demo.data import DemoRegistration, enterprise_number
from services.registration.client import signed_headers

# What the intake stamps on a registration the KBO snapshot confirms (active, at its address, of its categories).
KBO_CONFIRMED = KboCheck(extract_number=140, snapshot_date=datetime(2026, 11, 1).date(), findings=())
GENT = {"lat": 51.0543, "lon": 3.7174}
# How partners spell one enterprise number (0428759497): every endpoint that takes a number accepts them all.
SPELLINGS = ("0428759497", "428759497", "BE0428759497", "BE 0428.759.497", "be 0428 759 497", "0428.759.497",
             "0428-759-497", "(0)428759497")


_issued: set[str] = set()
_issuing = threading.Lock()  # the chaos partner draws from threads


def fresh_enterprise_number() -> str:
    """A valid number not handed out before in this process: every test business has a story of its own (random
    draws from the generator's 8 million numbers repeat: 10,000 of them hold about seven duplicates, and a business
    registering again after its withdrawal is rightly rejected as superseded)."""
    with _issuing:
        number = enterprise_number(random.Random())
        while number in _issued:
            number = enterprise_number(random.Random())
        _issued.add(number)
    return number


def registration_body(number: str | None = None, *, consent: bool = True, name: str = "Hoeve De Linde",
                      position: dict[str, float] | None = None) -> dict[str, Any]:
    return {
        "enterprise_number": number or fresh_enterprise_number(),
        "name": name,
        "address": {"street": "Kortrijksesteenweg", "number": "12", "postcode": "9000", "municipality": "Gent"},
        "position": position or GENT,
        "categories": ["hoeveproducten"],
        "contact": {"phone": "+32 9 223 45 67", "website": "https://hoeve-delinde.example.be"},
        "consent": {
            "purposes": ["listing"] if consent else ["newsletter"],
            "given_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
            "notice_version": "2020-04",
            "method": "ticked-box",
            "evidence_ref": "webform-2026-004711",
            "language": "nl",
            "person": {"name": "Griet Vermeulen", "email": "griet.vermeulen@example.be", "role": "zaakvoerder"},
        },
    }


PARTNER = "unizo-winkelhier"


def signed(method: str, path: str, body: bytes, partner: str = PARTNER, content_type: str = "application/json",
           timestamp: int | None = None) -> dict[str, str]:
    """Headers of a correctly signed request by a seeded demo partner."""
    return signed_headers(f"demo-{partner}", f"demo-secret-{partner}", method, path, body, content_type, timestamp)


def wire_registration(number: str | None = None, *, consent: bool = True,
                      partner: str = "vlam-rechtvanbijdeboer") -> RegistrationSubmitted:
    """A canonical event as the intake publishes it for a business the KBO confirms (bypassing the HTTP intake)."""
    event = kafka_export_event(DemoRegistration(partner, registration_body(number, consent=consent), withdraw=False))
    return event.model_copy(update={"kbo": KBO_CONFIRMED})
