"""The intake's KBO check: which enterprises are active, which addresses match as people write them, which activities
confirm a category — and the policy that follows from the findings."""

from datetime import UTC, date, datetime

import pytest

from services.common.events import Address, Business, KboActivity, KboAddress, KboEnterprise, KboSnapshot, Position
from services.common.vocabulary import Reason
from services.kbo import verify

NUMBER, UNIT = "0428759497", "2123456789"
SNAPSHOT = KboSnapshot(extract_number=140, snapshot_date=date(2026, 11, 1),
                       extract_timestamp=datetime(2026, 11, 1, 4, 12), extract_type="full",
                       loaded_at=datetime(2026, 11, 2, tzinfo=UTC))
SEAT = KboAddress(entity=NUMBER, type="REGO", zipcode="9040", municipality_nl="Gent", municipality_fr="Gand",
                  street_nl="Antwerpsesteenweg", street_fr="Antwerpsesteenweg", house_number="12", box="3")
SHOP = KboAddress(entity=UNIT, type="BAET", zipcode="1000", municipality_nl="Brussel", municipality_fr="Bruxelles",
                  street_nl="Hoogstraat", street_fr="Rue Haute", house_number="101", box="")
BAKERY = KboActivity(entity=UNIT, group="001", nace_version="2008", nace_code="10711", classification="MAIN")


def enterprise(**changes: object) -> KboEnterprise:
    base = {"number": NUMBER, "status": "AC", "juridical_situation": "000", "type_of_enterprise": "2",
            "establishments": (UNIT,), "addresses": (SEAT, SHOP), "activities": (BAKERY,)}
    return KboEnterprise.model_validate({**base, **changes})


def claim(street: str, number: str, postcode: str, municipality: str, *, unit: str | None = None,
          categories: tuple[str, ...] = ("bakker",)) -> Business:
    return Business(enterprise_number=NUMBER, establishment_unit=unit, name="Bakkerij Hoogstraat",
                    address=Address(street=street, number=number, postcode=postcode, municipality=municipality),
                    position=Position(lat=50.84, lon=4.35), categories=categories)


@pytest.mark.parametrize(("street", "number", "postcode", "municipality"), [
    ("Hoogstraat", "101", "1000", "Brussel"),
    ("Rue Haute", "101", "1000", "Bruxelles"),  # the French name of street and municipality
    ("rue haute", "101 ", "1000", "BRUXELLES"),
    ("Rue  Haute", "101", "1000", "Brussel"),  # a double space; languages mixed
    ("Antwerpsesteenweg", "12 bus 3", "9040", "Sint-Amandsberg"),  # the seat, named by its postal locality
    ("Antwerpse stwg.", "12/3", "9040", "Gent"),  # abbreviated, the box after a slash
    ("Antwerpsesteenweg", "12", "9040", "Gand"),  # no box given: the house number suffices
    ("Antwerpsesteenweg", "12 bte 3", "9040", "Sint-Amandsberg"),
])
def test_an_address_written_as_people_write_it_matches(street: str, number: str, postcode: str,
                                                       municipality: str) -> None:
    assert verify.check(claim(street, number, postcode, municipality), enterprise(), SNAPSHOT).findings == ()


@pytest.mark.parametrize(("street", "number", "postcode", "municipality"), [
    ("Hoogstraat", "103", "1000", "Brussel"),  # another house
    ("Hoogstraat", "101", "2000", "Antwerpen"),  # the same street in another town
    ("Kerkstraat", "101", "1000", "Brussel"),
    ("Antwerpsesteenweg", "12 bus 4", "9040", "Sint-Amandsberg"),  # another box in the building
])
def test_an_address_where_the_enterprise_has_no_establishment_is_unverified(street: str, number: str, postcode: str,
                                                                            municipality: str) -> None:
    found = verify.check(claim(street, number, postcode, municipality), enterprise(), SNAPSHOT)
    assert found.findings == (Reason.ADDRESS_UNVERIFIED,)
    assert (found.extract_number, found.snapshot_date) == (140, date(2026, 11, 1))


def test_a_struck_off_address_and_a_natural_persons_seat_do_not_count() -> None:
    struck = SHOP.model_copy(update={"struck_off": date(2025, 1, 1)})
    shop = claim("Hoogstraat", "101", "1000", "Brussel")
    assert verify.check(shop, enterprise(addresses=(SEAT, struck)), SNAPSHOT).findings == (Reason.ADDRESS_UNVERIFIED,)
    seat = claim("Antwerpsesteenweg", "12", "9040", "Gent")
    assert verify.check(seat, enterprise(type_of_enterprise="1"), SNAPSHOT).findings == (Reason.ADDRESS_UNVERIFIED,)


def test_a_claimed_establishment_unit_is_checked_at_its_own_address() -> None:
    at_the_seat = claim("Antwerpsesteenweg", "12", "9040", "Gent", unit=UNIT)
    assert Reason.ADDRESS_UNVERIFIED not in verify.check(at_the_seat, enterprise(), SNAPSHOT).findings  # seat counts
    other_unit = claim("Hoogstraat", "101", "1000", "Brussel", unit="2000000339")
    assert Reason.ADDRESS_UNVERIFIED in verify.check(other_unit, enterprise(), SNAPSHOT).findings


@pytest.mark.parametrize(("record", "situation"), [
    (None, None),  # not in the open data: only active entities are
    (enterprise(status="ST"), None),
    (enterprise(juridical_situation="012"), "012"),  # bankruptcy opened
])
def test_an_enterprise_not_trading_is_not_active(record: KboEnterprise | None, situation: str | None) -> None:
    found = verify.check(claim("Hoogstraat", "101", "1000", "Brussel"), record, SNAPSHOT)
    assert found.findings == (Reason.KBO_NOT_ACTIVE,)
    assert found.juridical_situation == situation


def test_a_reviewed_situation_can_be_allowed() -> None:
    policy = verify.Policy(frozenset({"000", "012"}))
    business = claim("Hoogstraat", "101", "1000", "Brussel")
    assert verify.check(business, enterprise(juridical_situation="012"), SNAPSHOT, policy).findings == ()


def test_activities_that_suggest_no_claimed_category_are_advisory() -> None:
    business = claim("Hoogstraat", "101", "1000", "Brussel", categories=("fietsen",))
    assert verify.check(business, enterprise(), SNAPSHOT).findings == (Reason.ACTIVITY_UNCONFIRMED,)


def test_without_a_snapshot_nothing_is_checked() -> None:
    found = verify.check(claim("Hoogstraat", "101", "1000", "Brussel"), enterprise(), None)
    assert (found.extract_number, found.findings) == (None, (Reason.KBO_UNVERIFIED,))
