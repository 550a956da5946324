"""Field checks a machine can make, with well-kept libraries: enterprise and establishment numbers (python-stdnum,
through services.common.enterprise), phone numbers (phonenumbers), e-mail (email-validator), postcodes, postal
localities and positions (services.common.places), categories."""

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from services.common import enterprise, places
from services.common.categories import CATEGORIES, current
from services.common.places import Locality
from services.registration.errors import InvalidField

# Belgium's bounding box: a position outside it is a typo (swapped lat/lon, a foreign address).
LAT_RANGE = (49.49, 51.51)
LON_RANGE = (2.54, 6.41)
MAX_KM_FROM_POSTCODE = 10.0  # REGISTRATION_MAX_KM_FROM_POSTCODE


def enterprise_number(raw: str, pointer: str = "/enterprise_number") -> str:
    """'BE 0428.759.497', '0428 759 497' and '428759497' all become '0428759497'."""
    try:
        return enterprise.enterprise_number(raw)
    except enterprise.InvalidNumber as exc:
        raise InvalidField(str(exc), pointer) from None


def establishment_unit(raw: str, pointer: str = "/establishment_unit") -> str:
    try:
        return enterprise.establishment_unit(raw)
    except enterprise.InvalidNumber as exc:
        raise InvalidField(str(exc), pointer) from None


def place(postcode: str, written: str) -> Locality:
    """The postal locality an address names: the postcode must exist, and the name be one of its localities (any
    language) or its municipality ('9040 Sint-Amandsberg' and '9040 Gent' both)."""
    localities = places.by_postcode().get(postcode)
    if not localities:
        raise InvalidField(f"postcode {postcode} does not exist in Belgium", "/address/postcode")
    found = places.in_postcode(postcode, written)
    if found is None:
        known = sorted({name for p in localities for name in (*p.names, *p.municipality.names)})
        raise InvalidField(f"not a place of postcode {postcode}, whose places are {' / '.join(known)}",
                           "/address/municipality")
    return found


def position_in_belgium(lat: float, lon: float) -> None:
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        raise InvalidField("latitude lies outside Belgium", "/position/lat")
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        raise InvalidField("longitude lies outside Belgium", "/position/lon")


def position(locality: Locality | None, lat: float, lon: float, max_km: float) -> None:
    """In Belgium, and near the address's postcode when the address is known."""
    position_in_belgium(lat, lon)
    if locality is not None:
        position_near(locality, lat, lon, max_km)


def position_near(locality: Locality, lat: float, lon: float, max_km: float) -> None:
    """The position must lie within max_km of one of the localities of the address's postcode: a shop in Gent placed
    in Antwerp (or in the North Sea) is a mistake the partner should hear about."""
    distance = places.nearest_km(places.by_postcode()[locality.postcode], lat, lon)
    if distance > max_km:
        raise InvalidField(f"the position lies {distance:.0f} km from postcode {locality.postcode} "
                           f"({locality.label}); at most {max_km:g} km is accepted", "/position")


def phone(raw: str, pointer: str = "/contact/phone") -> str:
    """A valid phone number, Belgian unless it has a country code, formatted E.164."""
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException:
        raise InvalidField("not a phone number", pointer) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidField("not a valid phone number", pointer)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(raw: str, pointer: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidField(f"not a valid e-mail address: {exc}", pointer) from None


def categories(raw: list[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(current(c.strip().lower()) for c in raw))  # a retired code: its successor
    for index, code in enumerate(codes):
        if code not in CATEGORIES:
            raise InvalidField(f"unknown category '{code}'; see GET /v1/categories of the search API",
                               f"/categories/{index}")
    return codes
