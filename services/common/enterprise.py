"""Belgian enterprise and establishment unit numbers: the one normaliser every entry point uses (python-stdnum's
``be.vat`` — its compaction and its mod-97 checksum).

Every partner spelling is accepted: ``BE 0428.759.497``, ``BE0428759497``, ``0428 759 497``, ``0428-759-497``,
``(0)428759497``, and the old nine-digit ``428759497``; the result is the ten digits used as key on every topic.
"""

from stdnum.be import vat
from stdnum.exceptions import InvalidChecksum, ValidationError

ESTABLISHMENT_FIRST_DIGITS = "2345678"


class InvalidNumber(ValueError):
    """Not a valid number; the message says why and is safe to show (it never quotes the input)."""


def enterprise_number(raw: str) -> str:
    """The normalised ten digits of an enterprise number; raises InvalidNumber."""
    try:
        return str(vat.validate(raw))
    except InvalidChecksum:
        raise InvalidNumber("enterprise number has an invalid check digit") from None
    except ValidationError:
        raise InvalidNumber("not a Belgian enterprise number (10 digits, starting with 0 or 1)") from None


def establishment_unit(raw: str) -> str:
    """The ten digits of an establishment unit number: the enterprise number's format and mod-97 check, first digit
    2 to 8 (python-stdnum validates only enterprise numbers, whose first digit is 0 or 1)."""
    digits = vat.compact(raw)
    if len(digits) != 10 or not digits.isdigit() or digits[0] not in ESTABLISHMENT_FIRST_DIGITS:
        raise InvalidNumber("an establishment unit number has 10 digits and starts with 2 to 8")
    if vat.checksum(digits) != 0:
        raise InvalidNumber("establishment unit number has an invalid check digit")
    return digits


def with_check_digits(first_eight: str) -> str:
    """A valid number from its first eight digits (demo data and test samples)."""
    return f"{first_eight}{97 - vat.checksum(first_eight + '00'):02d}"
