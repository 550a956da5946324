"""Adapters from partners' native formats to the canonical registration (a dict for RegistrationIn).

- ``vlam``: the marketing board's records, with Dutch field names (``ondernemingsnummer``, ``naam``, ``adres``,
  ``toestemming_koopinjebuurt``, ...).
- ``csv``: one registration per row of a spreadsheet (CSV or .xlsx, read by spreadsheet.py; columns documented in
  docs/partners.md).
"""

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from services.common.text import fold
from services.common.vocabulary import METHOD_LABELS, ConsentMethod
from services.registration import spreadsheet
from services.registration.errors import FieldError, InvalidField, InvalidFields

# The marketing board's own codes for how consent was given (its field toestemming.methode).
VLAM_METHODS = MappingProxyType({
    "aangevinkt": ConsentMethod.TICKED_BOX, "ondertekend-formulier": ConsentMethod.SIGNED_FORM,
    "dubbele-opt-in": ConsentMethod.DOUBLE_OPT_IN, "telefonisch-opgenomen": ConsentMethod.RECORDED_CALL,
    "e-handtekening": ConsentMethod.E_SIGNATURE, "vooraf-aangevinkt": ConsentMethod.PRE_TICKED,
    "geen-bezwaar": ConsentMethod.OPT_OUT, "stilzwijgend": ConsentMethod.IMPLIED,
    "algemene-voorwaarden": ConsentMethod.TERMS_ACCEPTANCE,
})
# Where each column goes in the canonical registration: a row's errors name the column of their field.
CSV_FIELDS = MappingProxyType({
    "enterprise_number": "/enterprise_number", "name": "/name", "street": "/address/street",
    "number": "/address/number", "postcode": "/address/postcode", "municipality": "/address/municipality",
    "lat": "/position/lat", "lon": "/position/lon", "categories": "/categories", "phone": "/contact/phone",
    "email": "/contact/email", "website": "/contact/website", "webshop": "/channels/webshop",
    "delivery": "/channels/delivery", "pickup": "/channels/pickup", "consent_listing": "/consent/purposes",
    "consent_given_at": "/consent/given_at", "notice_version": "/consent/notice_version",
    "consent_method": "/consent/method", "consent_evidence_ref": "/consent/evidence_ref",
    "language": "/consent/language", "person_name": "/consent/person/name", "person_email": "/consent/person/email",
    "person_role": "/consent/person/role",
})
CSV_COLUMNS = tuple(CSV_FIELDS)
MAX_CSV_ROWS = 1000
_YES = {"1", "true", "yes", "ja", "oui", "y", "j"}


def _present(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop absent optional values so that the canonical model's defaults apply."""
    return {k: v for k, v in mapping.items() if v not in (None, "")}


def _object(parent: dict[str, Any], name: str, at: str) -> dict[str, Any]:
    """A nested object of the record ({} when absent); any other type is the partner's error (a 422 naming the
    field), never ours."""
    value = parent.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidField(f"{name} must be a JSON object", f"{at}/{name}")
    return value


def from_vlam(record: dict[str, Any]) -> dict[str, Any]:
    """The board forwards only businesses that ticked 'toestemming_koopinjebuurt'; we still check it."""
    if not isinstance(record, dict):
        raise InvalidField("a VLAM record is a JSON object", "")
    adres, ligging, contact, kanalen, toestemming = (
        _object(record, name, "") for name in ("adres", "ligging", "contact", "kanalen", "toestemming"))
    persoon = _object(toestemming, "persoon", "/toestemming")
    return _present({
        "enterprise_number": record.get("ondernemingsnummer"),
        "establishment_unit": record.get("vestigingsnummer"),
        "name": record.get("naam"),
        "address": _present({"street": adres.get("straat"), "number": adres.get("huisnummer"),
                             "postcode": adres.get("postcode"), "municipality": adres.get("gemeente")}),
        "position": _present({"lat": ligging.get("breedtegraad"), "lon": ligging.get("lengtegraad")}) or None,
        "categories": record.get("categorieen"),
        "contact": _present({"phone": contact.get("telefoon"), "email": contact.get("email"),
                             "website": contact.get("website")}),
        "channels": _present({"webshop": kanalen.get("webwinkel"), "delivery": kanalen.get("levering"),
                              "pickup": kanalen.get("afhalen"), "opening_hours": _vlam_hours(kanalen)}),
        "consent": _present({
            "purposes": ["listing"] if record.get("toestemming_koopinjebuurt") is True else ["none"],
            "given_at": toestemming.get("datum"), "notice_version": toestemming.get("versie"),
            "method": _vlam_method(toestemming.get("methode")), "evidence_ref": toestemming.get("referentie"),
            "language": toestemming.get("taal", "nl"),
            "person": _present({"name": persoon.get("naam"), "email": persoon.get("email"),
                                "role": persoon.get("functie")}),
        }),
    })


def _vlam_hours(kanalen: dict[str, Any]) -> list[Any] | None:
    """The board's ``openingsuren`` ({dag, van, tot}) as opening hours; anything not a list is the partner's to
    fix, named by the validation."""
    hours = kanalen.get("openingsuren")
    if not isinstance(hours, list):
        return hours or None
    return [{"day": h.get("dag"), "opens": h.get("van"), "closes": h.get("tot")} if isinstance(h, dict) else h
            for h in hours] or None


def _vlam_method(code: Any) -> str | None:
    """The vocabulary's value for the board's code; an unknown code is the partner's error, never a default."""
    if code in (None, ""):
        return None
    if not isinstance(code, str) or code.strip().lower() not in VLAM_METHODS:
        raise InvalidField(f"unknown toestemming.methode; the board's codes are {', '.join(VLAM_METHODS)}",
                           "/toestemming/methode")
    return VLAM_METHODS[code.strip().lower()].value


def csv_method(text: str) -> str:
    """A spreadsheet's method cell: the vocabulary's value, or its Dutch or French label ('zelf aangevinkt',
    'case cochée'); anything else is passed on as written, for the validation to name."""
    wanted = fold(text)
    for method, labels in METHOD_LABELS.items():
        if wanted in {method.value, *(fold(label) for label in labels.values())}:
            return method.value
    return text


def check_sheet(sheet: spreadsheet.Sheet) -> list[dict[str, str]]:
    """The rows of an upload whose header row names CSV_COLUMNS (the required ones at least)."""
    header = set(sheet.header)
    required = ("enterprise_number", "name", "postcode", "municipality", "consent_listing")
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidField(f"the header row lacks columns: {', '.join(missing)}", "/header")
    unknown = sorted(header - set(CSV_COLUMNS) - {""})
    if unknown:
        raise InvalidField(f"the header row has unknown columns: {', '.join(unknown)}", "/header")
    if len(sheet.rows) > MAX_CSV_ROWS:
        raise InvalidField(f"at most {MAX_CSV_ROWS} rows per upload", "/rows")
    return sheet.rows


def column_of(pointer: str) -> str | None:
    """The CSV column of a field of the canonical registration (``/position/lat`` → ``lat``), if one holds it."""
    return next((column for column, field in CSV_FIELDS.items()
                 if pointer == field or pointer.startswith(f"{field}/")), None)


def from_csv_row(row: dict[str, str]) -> dict[str, Any]:
    """The canonical registration of a spreadsheet row; cells that cannot be read are refused together, each with
    its field's pointer (InvalidFields)."""
    value = {k: (v or "").strip() for k, v in row.items() if k}
    value |= _converted(value, spreadsheet.NUMBER_COLUMNS, spreadsheet.number)
    value |= _converted(value, spreadsheet.DATE_COLUMNS, spreadsheet.moment)
    position = _present({"lat": value.get("lat"), "lon": value.get("lon")})
    return _present({
        "enterprise_number": value.get("enterprise_number"),
        "name": value.get("name"),
        "address": _present({"street": value.get("street"), "number": value.get("number"),
                             "postcode": value.get("postcode"), "municipality": value.get("municipality")}),
        "position": position or None,
        "categories": [c for c in value.get("categories", "").split(";") if c.strip()],
        "contact": _present({"phone": value.get("phone"), "email": value.get("email"),
                             "website": value.get("website")}),
        "channels": _present({"webshop": value.get("webshop"),
                              "delivery": value.get("delivery", "").lower() in _YES,
                              "pickup": value.get("pickup", "").lower() in _YES}),
        "consent": _present({
            "purposes": ["listing"] if value.get("consent_listing", "").lower() in _YES else ["none"],
            "given_at": value.get("consent_given_at"), "notice_version": value.get("notice_version"),
            "method": csv_method(value.get("consent_method", "")), "evidence_ref": value.get("consent_evidence_ref"),
            "language": value.get("language"),
            "person": _present({"name": value.get("person_name"), "email": value.get("person_email"),
                                "role": value.get("person_role")}),
        }),
    })


def _converted(value: dict[str, str], columns: tuple[str, ...], convert: Callable[[str], str]) -> dict[str, str]:
    converted, errors = {}, []
    for column in columns:
        try:
            converted[column] = convert(value.get(column, ""))
        except ValueError as exc:
            errors.append(FieldError(CSV_FIELDS[column], str(exc)))
    if errors:
        raise InvalidFields(errors)
    return converted
