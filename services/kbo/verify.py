"""What the KBO snapshot says of a registered business (pure): is the enterprise active, is there an establishment
(or, for a legal person, its seat) at the claimed address, do its activities suggest a claimed category?

Addresses are compared as people write them: the postcode exactly; the municipality by any of its names, Dutch or
French, or the name of the postal locality; the street folded (case, accents, punctuation, spaces) with the usual
abbreviations written out ('Kerkstr.' = 'Kerkstraat', 'Av.' = 'Avenue'); the house number with its letter or box
('12A', '12 bus 3', '12/3', '12 bte 3') — a box is compared only when both sides name one.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from services.common import places
from services.common.categories import for_activity
from services.common.events import Business, KboAddress, KboCheck, KboEnterprise, KboSnapshot
from services.common.text import fold
from services.common.vocabulary import Reason

ACTIVE = "AC"
# Juridical situations of an enterprise that trades as usual (KBO code table, category JuridicalSituation):
# 000 normal situation, 001 legal creation, 002 extension. Anything else (bankruptcy, liquidation, dissolution, ...)
# is refused until reviewed: REGISTRATION_KBO_SITUATIONS widens the list (docs/kbo.md).
TRADING_SITUATIONS = frozenset({"000", "001", "002"})
SEAT, ESTABLISHMENT = "REGO", "BAET"
LEGAL_PERSON = "2"  # TypeOfEnterprise: 1 natural person (no seat address in the open data), 2 legal person

_SUFFIXES = {"str": "straat", "stw": "steenweg", "stwg": "steenweg", "ln": "laan", "pln": "plein"}
_PREFIXES = {"av": "avenue", "bd": "boulevard", "bld": "boulevard", "ch": "chaussee", "chee": "chaussee",
             "r": "rue", "st": "saint", "ste": "sainte", "pl": "place", "sq": "square"}
_BOX_WORDS = frozenset({"bus", "boite", "bte", "bt", "box", "b"})


@dataclass(frozen=True)
class Policy:
    situations: frozenset[str] = TRADING_SITUATIONS


def check(business: Business, record: KboEnterprise | None, snapshot: KboSnapshot | None,
          policy: Policy = Policy()) -> KboCheck:
    """The findings about ``business`` in ``snapshot`` (``record``: its enterprise there, None when absent)."""
    if snapshot is None:
        return KboCheck(extract_number=None, snapshot_date=None, findings=(Reason.KBO_UNVERIFIED,))
    stamp = {"extract_number": snapshot.extract_number, "snapshot_date": snapshot.snapshot_date}
    if record is None or record.status != ACTIVE:
        return KboCheck(**stamp, findings=(Reason.KBO_NOT_ACTIVE,))
    if record.juridical_situation not in policy.situations:
        return KboCheck(**stamp, findings=(Reason.KBO_NOT_ACTIVE,), juridical_situation=record.juridical_situation)
    entities = _entities(business, record)
    findings = []
    claimed = _Claimed.of(business)
    if not any(claimed.matches(a) for a in record.addresses if a.entity in entities and _usable(a, record)):
        findings.append(Reason.ADDRESS_UNVERIFIED)
    if not _activity_confirms(business.categories, (a.nace_code for a in record.activities if a.entity in entities)):
        findings.append(Reason.ACTIVITY_UNCONFIRMED)
    return KboCheck(**stamp, findings=tuple(findings))


def _entities(business: Business, record: KboEnterprise) -> frozenset[str]:
    """Whose addresses and activities count: the claimed establishment unit (with its enterprise's own), or all."""
    if business.establishment_unit is not None:
        return frozenset({record.number, business.establishment_unit} & {record.number, *record.establishments})
    return frozenset({record.number, *record.establishments})


def _usable(address: KboAddress, record: KboEnterprise) -> bool:
    if address.struck_off is not None:
        return False
    if address.type == SEAT:
        return record.type_of_enterprise == LEGAL_PERSON
    return address.type == ESTABLISHMENT


@dataclass(frozen=True)
class _Claimed:
    """The claimed address in the forms it is compared in (computed once per registration)."""

    postcode: str
    name: str  # the locality (or municipality) the address names
    municipality: str | None  # its NIS code
    street: str
    number: tuple[str, frozenset[str]] | None

    @classmethod
    def of(cls, business: Business) -> "_Claimed":
        address = business.address
        name = address.locality or address.municipality
        return cls(address.postcode, name, _municipality_in(address.postcode, name), street_key(address.street),
                   _number(address.number))

    def matches(self, kbo: KboAddress) -> bool:
        return (self.postcode == kbo.zipcode.strip() and self.street != ""
                and self.street in (street_key(kbo.street_nl), street_key(kbo.street_fr))
                and _same_number(self.number, _number(f"{kbo.house_number} bus {kbo.box}" if kbo.box.strip()
                                                      else kbo.house_number))
                and self._same_municipality(kbo))

    def _same_municipality(self, kbo: KboAddress) -> bool:
        for name in (kbo.municipality_nl, kbo.municipality_fr):
            if not name:
                continue
            found = _municipality_in(self.postcode, name)
            if (found is not None and found == self.municipality) or places.key(name) == places.key(self.name):
                return True
        return False


def address_matches(business: Business, kbo: KboAddress) -> bool:
    return _Claimed.of(business).matches(kbo)


@lru_cache(maxsize=65536)
def _municipality_in(postcode: str, name: str) -> str | None:
    """The NIS code of the municipality a name designates within a postcode (a locality's or its own name)."""
    found = places.in_postcode(postcode, name)
    return found.municipality.nis if found is not None else None


@lru_cache(maxsize=262144)  # street names repeat across Belgium: the cache holds the common ones
def street_key(street: str) -> str:
    """'Kerkstr. ' -> 'kerkstraat'; 'Av. Louise' -> 'avenuelouise'; "Onze-Lieve-Vrouw" -> 'onzelievevrouw'."""
    words = places.key(street).split()
    if not words:
        return ""
    words[0] = _PREFIXES.get(words[0], words[0]) if len(words) > 1 else words[0]
    last = words[-1]
    for short, full in _SUFFIXES.items():
        if last.endswith(short) and not last.endswith(full):
            words[-1] = last[: -len(short)] + full
            break
    return "".join(words)


def _same_number(mine: tuple[str, frozenset[str]] | None, theirs: tuple[str, frozenset[str]] | None) -> bool:
    if mine is None or theirs is None or mine[0] != theirs[0]:
        return False
    mine_extra, their_extra = mine[1], theirs[1]
    return not mine_extra or not their_extra or bool(mine_extra & their_extra)


@lru_cache(maxsize=65536)
def _number(written: str) -> tuple[str, frozenset[str]] | None:
    """('12', {'a', '3'}) from '12A bus 3': the house number and what tells apart units at it (letter, box)."""
    tokens = re.findall(r"\d+|[a-z]+", fold(written))
    if not tokens or not tokens[0].isdigit():
        return None
    rest = tokens[1:]
    extra = {token.lstrip("0") or "0" for i, token in enumerate(rest)
             if not (token in _BOX_WORDS and i + 1 < len(rest))}
    return tokens[0].lstrip("0") or "0", frozenset(extra)


def _activity_confirms(categories: Iterable[str], nace_codes: Iterable[str]) -> bool:
    suggested = {category for code in nace_codes for category in for_activity(code)}
    return bool(suggested & set(categories))
