"""The layout of the KBO/BCE Open Data extracts (Crossroads Bank for Enterprises), as published: one ZIP per extract,
one CSV per file (comma-separated, double quotes, UTF-8, dates ``dd-mm-yyyy``), a header row of these columns in this
order. A full extract holds ``<file>.csv``; an update holds ``<file>_delete.csv`` (the keys whose rows go) and
``<file>_insert.csv`` (the complete current rows of those entities). ``meta.csv`` names the extract."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FileLayout:
    name: str
    columns: tuple[str, ...]
    key: str  # the column an update's delete file lists


META = FileLayout("meta", ("Variable", "Value"), "Variable")
CODE = FileLayout("code", ("Category", "Code", "Language", "Description"), "Code")
ENTERPRISE = FileLayout("enterprise", ("EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise",
                                       "JuridicalForm", "JuridicalFormCAC", "StartDate"), "EnterpriseNumber")
ESTABLISHMENT = FileLayout("establishment", ("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
                           "EstablishmentNumber")
DENOMINATION = FileLayout("denomination", ("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
                          "EntityNumber")
ADDRESS = FileLayout("address", ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode",
                                 "MunicipalityNL", "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box",
                                 "ExtraAddressInfo", "DateStrikingOff"), "EntityNumber")
CONTACT = FileLayout("contact", ("EntityNumber", "EntityContact", "ContactType", "Value"), "EntityNumber")
ACTIVITY = FileLayout("activity", ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
                      "EntityNumber")
BRANCH = FileLayout("branch", ("Id", "StartDate", "EnterpriseNumber"), "Id")

DATA_FILES = (CODE, ENTERPRISE, ESTABLISHMENT, DENOMINATION, ADDRESS, CONTACT, ACTIVITY, BRANCH)
UPDATE_FILES = (ENTERPRISE, ESTABLISHMENT, ADDRESS, ACTIVITY)  # what the platform reads of an update
SUPERSEDED_NACE = "2003"  # NACE-BEL 2003 activities: superseded by 2008 (and 2025) rows of the same entities
