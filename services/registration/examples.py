"""Example bodies shown in the OpenAPI document (and checked by the tests to stay valid)."""

from typing import Any

REGISTRATION: dict[str, Any] = {
    "enterprise_number": "BE 0428.759.497",
    "name": "Hoeve De Linde",
    "address": {"street": "Kortrijksesteenweg", "number": "12", "postcode": "9000", "municipality": "Gent"},
    "position": {"lat": 51.0543, "lon": 3.7174},
    "categories": ["hoeveproducten", "streekproducten"],
    "contact": {"phone": "+32 9 223 45 67", "website": "https://hoeve-delinde.example.be"},
    "channels": {"pickup": True, "delivery": False,
                 "opening_hours": [{"day": "sat", "opens": "09:00", "closes": "12:00"}]},
    "consent": {"purposes": ["listing"], "given_at": "2026-11-20T10:00:00+01:00", "notice_version": "2020-04",
                "method": "ticked-box", "evidence_ref": "winkelhier-form-2026-004711", "language": "nl",
                "person": {"name": "Griet Vermeulen", "email": "griet@example.be", "role": "zaakvoerder"}},
    "verification": {"method": "member-file", "verified_at": "2026-11-20T11:00:00+01:00"},
}
WITHDRAWAL: dict[str, Any] = {"enterprise_number": "0428.759.497", "withdrawn_at": "2026-11-26T09:00:00+01:00"}
ERASURE: dict[str, Any] = {"enterprise_number": "0428759497", "requested_at": "2026-11-26T09:00:00+01:00"}
CLOUDEVENT: dict[str, Any] = {"specversion": "1.0", "id": "wh-2026-000123", "source": "/partners/unizo-winkelhier",
              "type": "be.buurt.consent.withdrawn.v1", "datacontenttype": "application/json", "data": WITHDRAWAL}
CSV = ("enterprise_number;name;street;number;postcode;municipality;categories;consent_listing;consent_given_at;"
       "notice_version;consent_method;consent_evidence_ref;language;person_name;person_email\n"
       "0428759497;Bakkerij Claes;Veldstraat;3;9000;Gent;bakker;ja;2026-11-20T10:00:00+01:00;2020-04;"
       "ondertekend formulier;map 2026/17;nl;An Claes;an@example.be\n")
