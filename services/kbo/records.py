"""From the rows of an extract to the per-enterprise records of ``kbo.enterprises`` (pure): the numbers as the
platform keys them (ten digits), dates as dates, and an update's delete-then-insert applied to a record."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.common.events import KboActivity, KboAddress, KboEnterprise
from services.kbo.extract import ExtractError


def digits(number: str, file: str, line: int) -> str:
    """'0123.456.789' -> '0123456789'; '2.123.456.789' -> '2123456789'."""
    compact = number.replace(".", "")
    if len(compact) != 10 or not compact.isdigit():
        raise ExtractError(file, line, f"{number!r} is not an enterprise or establishment number")
    return compact


def day(value: str, file: str, line: int) -> date | None:
    """'01-03-2015' -> 2015-03-01 (sliced: strptime cost more than the rest of a row)."""
    if not value:
        return None
    try:
        if len(value) != 10 or value[2] != "-" or value[5] != "-":
            raise ValueError
        return date(int(value[6:]), int(value[3:5]), int(value[:2]))
    except ValueError:
        raise ExtractError(file, line, f"{value!r} is not a date dd-mm-yyyy") from None


def is_enterprise(number: str) -> bool:
    return number[0] in "01"


def address(entity: str, row: Mapping[str, str], file: str, line: int) -> KboAddress:
    return KboAddress(entity=entity, type=row["TypeOfAddress"], zipcode=row["Zipcode"],
                      municipality_nl=row["MunicipalityNL"], municipality_fr=row["MunicipalityFR"],
                      street_nl=row["StreetNL"], street_fr=row["StreetFR"], house_number=row["HouseNumber"],
                      box=row["Box"], struck_off=day(row["DateStrikingOff"], file, line))


def activity(entity: str, row: Mapping[str, str]) -> KboActivity:
    return KboActivity(entity=entity, group=row["ActivityGroup"], nace_version=row["NaceVersion"],
                       nace_code=row["NaceCode"], classification=row["Classification"])


def enterprise_fields(row: Mapping[str, str], file: str, line: int) -> dict[str, object]:
    return {"number": digits(row["EnterpriseNumber"], file, line), "status": row["Status"],
            "juridical_situation": row["JuridicalSituation"], "type_of_enterprise": row["TypeOfEnterprise"],
            "juridical_form": row["JuridicalForm"], "start_date": day(row["StartDate"], file, line)}


@dataclass
class Draft:
    """An enterprise's record being rebuilt by an update."""

    fields: dict[str, object] | None  # None: no enterprise row (deleted, or not known)
    establishments: set[str] = field(default_factory=set)
    addresses: list[KboAddress] = field(default_factory=list)
    activities: list[KboActivity] = field(default_factory=list)

    @classmethod
    def of(cls, record: KboEnterprise | None) -> "Draft":
        if record is None:
            return cls(None)
        fields = record.model_dump(include={"number", "status", "juridical_situation", "type_of_enterprise",
                                            "juridical_form", "start_date"})
        return cls(fields, set(record.establishments), list(record.addresses), list(record.activities))

    def drop_entity(self, entity: str, addresses: bool = True, activities: bool = True) -> None:
        if addresses:
            self.addresses = [a for a in self.addresses if a.entity != entity]
        if activities:
            self.activities = [a for a in self.activities if a.entity != entity]

    def record(self) -> KboEnterprise | None:
        if self.fields is None:
            return None
        return build(self.fields, sorted(self.establishments), self.addresses, self.activities)


def build(fields: Mapping[str, object], establishments: Iterable[str], addresses: Iterable[KboAddress],
          activities: Iterable[KboActivity]) -> KboEnterprise:
    return KboEnterprise.model_validate({**fields, "establishments": tuple(establishments),
                                         "addresses": tuple(addresses), "activities": tuple(activities)})
