"""Realistic sample inputs shared by the tests (fictitious people; valid Belgian enterprise numbers)."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from services.demo.data import enterprise_number

GENT = {"lat": 51.0543, "lon": 3.7174}


def fresh_enterprise_number() -> str:
    return enterprise_number(random.Random())


def registration_body(number: str | None = None, *, consent: bool = True, name: str = "Hoeve De Linde",
                      position: dict[str, float] | None = None) -> dict[str, Any]:
    return {
        "enterprise_number": number or fresh_enterprise_number(),
        "name": name,
        "address": {"street": "Kortrijksesteenweg", "number": "12", "postcode": "9000", "municipality": "Gent"},
        "position": position or GENT,
        "categories": ["hoeveproducten"],
        "contact": {"phone": "+32 9 123 45 67", "website": "https://hoeve-delinde.example.be"},
        "consent": {
            "purposes": ["listing"] if consent else ["newsletter"],
            "given_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
            "notice_version": "2020-04",
            "method": "web-form",
            "language": "nl",
            "person": {"name": "Griet Vermeulen", "email": "griet.vermeulen@example.be", "role": "zaakvoerder"},
        },
    }


AUTH = {"Authorization": "Bearer demo-unizo-winkelhier"}
