"""Reading KBO/BCE Open Data extracts (services/kbo/extract.py): the meta, the rows as published, and every flaw
an error naming the file and the line."""

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from services.common.events import KboEnterprise
from services.kbo.extract import Extract, ExtractError
from services.kbo.layout import ADDRESS, ENTERPRISE
from services.kbo.staging import Staged
from tests.kbo_samples import csv_bytes, write_extract

ENTERPRISES = [["0403.019.261", "AC", "000", "2", "014", "", "09-08-1960"],
               ["0417.497.106", "AC", "000", "1", "", "", "01-01-1985"]]


def test_a_full_extract_gives_its_meta_and_its_rows_as_published(tmp_path: Path) -> None:
    address = ["0403.019.261", "REGO", "België", "Belgique", "9040", "Gent", "Gand", "Antwerpsesteenweg",
               "Chaussée d'Anvers", "12", "b3", "", ""]
    extract = Extract(write_extract(tmp_path / "full.zip", {"enterprise.csv": ENTERPRISES, "address.csv": [address]}))
    assert extract.meta.extract_type == "full"
    assert (extract.meta.extract_number, extract.meta.snapshot_date) == (140, date(2026, 11, 22))
    assert extract.meta.extract_timestamp == datetime(2026, 11, 22, 4, 12, 31)
    assert [row["EnterpriseNumber"] for row in extract.rows("enterprise.csv", ENTERPRISE)] == [
        "0403.019.261", "0417.497.106"]
    [row] = extract.rows("address.csv", ADDRESS)
    assert (row["Zipcode"], row["StreetFR"], row["Box"]) == ("9040", "Chaussée d'Anvers", "b3")
    extract.close()


def test_an_update_extract_has_delete_and_insert_files(tmp_path: Path) -> None:
    extract = Extract(write_extract(tmp_path / "update.zip", {"enterprise_delete.csv": [["0403.019.261"]],
                                                              "enterprise_insert.csv": ENTERPRISES[:1]},
                                    kind="update", number=141))
    assert (extract.meta.extract_type, extract.meta.extract_number) == ("update", 141)
    assert list(extract.rows("enterprise_delete.csv", ENTERPRISE)) == [{"EnterpriseNumber": "0403.019.261"}]
    assert len(list(extract.rows("enterprise_insert.csv", ENTERPRISE))) == 1


def test_not_a_zip_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "KboOpenData_0140_2026_11_Full.zip"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ExtractError, match=r"KboOpenData_0140_2026_11_Full\.zip: not a readable ZIP"):
        Extract(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "full.zip", {})
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(tmp_path / "short.zip", "w") as short:
        for name in archive.namelist():
            if name != "activity.csv":
                short.writestr(name, archive.read(name))
    with pytest.raises(ExtractError, match=r"full extract without activity\.csv"):
        Extract(tmp_path / "short.zip")


@pytest.mark.parametrize(("data", "where"), [
    (csv_bytes(("EnterpriseNumber", "Status"), [["0403.019.261", "AC"]]), "enterprise.csv, line 1: columns"),
    (csv_bytes(ENTERPRISE.columns, [ENTERPRISES[0], ENTERPRISES[1][:4]]), "enterprise.csv, line 3: 4 fields"),
    (csv_bytes(ENTERPRISE.columns, [ENTERPRISES[0], ["0417.497.106", "AC", "000", "1", "", "", "Zoë"]],
               encoding="cp1252"), "enterprise.csv, line 3: not UTF-8"),
])
def test_a_flawed_file_is_refused_naming_file_and_line(tmp_path: Path, data: bytes, where: str) -> None:
    path = tmp_path / "full.zip"
    write_extract(path, {}, raw={})
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(tmp_path / "flawed.zip", "w") as flawed:
        for name in archive.namelist():
            flawed.writestr(name, data if name == "enterprise.csv" else archive.read(name))
    extract = Extract(tmp_path / "flawed.zip")
    with pytest.raises(ExtractError, match=re.escape(where)):
        list(extract.rows("enterprise.csv", ENTERPRISE))


def test_a_meta_without_its_extract_number_is_refused(tmp_path: Path) -> None:
    meta = csv_bytes(("Variable", "Value"), [["SnapshotDate", "22-11-2026"], ["ExtractType", "full"]])
    path = write_extract(tmp_path / "full.zip", {})
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(tmp_path / "meta.zip", "w") as changed:
        for name in archive.namelist():
            changed.writestr(name, meta if name == "meta.csv" else archive.read(name))
    with pytest.raises(ExtractError, match=r"meta\.csv: without ExtractTimestamp, ExtractNumber, Version"):
        Extract(tmp_path / "meta.zip")


def test_an_update_needs_only_the_files_the_platform_reads(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "update.zip", {}, kind="update", number=141)
    with zipfile.ZipFile(path) as archive:
        kept = {name: archive.read(name) for name in archive.namelist()
                if not name.startswith(("code_", "branch_", "denomination_", "contact_"))}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in kept.items():
            archive.writestr(name, data)
    extract = Extract(path)
    assert {member for member, _ in extract.present()} == {
        f"{name}_{part}.csv" for name in ("enterprise", "establishment", "address", "activity")
        for part in ("delete", "insert")}
    extract.close()
    without = tmp_path / "without-activity.zip"
    with zipfile.ZipFile(without, "w") as archive:
        for name, data in kept.items():
            if name != "activity_insert.csv":
                archive.writestr(name, data)
    with pytest.raises(ExtractError, match=r"update extract without activity_insert\.csv"):
        Extract(without)


def test_superseded_nace_2003_activities_are_not_staged(tmp_path: Path) -> None:
    activities = [["0403.019.261", "001", "2003", "52241", "MAIN"], ["0403.019.261", "001", "2008", "47241", "MAIN"],
                  ["0403.019.261", "001", "2025", "47241", "MAIN"]]
    extract = Extract(write_extract(tmp_path / "full.zip", {"enterprise.csv": ENTERPRISES,
                                                            "activity.csv": activities}))
    staged = Staged(extract, tmp_path / "staged.sqlite", lambda step, rows: None)
    records = {number: KboEnterprise.model_validate_json(raw) for number, raw in staged.records()}
    staged.close()
    extract.close()
    assert [(a.nace_version, a.nace_code) for a in records["0403019261"].activities] == [("2008", "47241"),
                                                                                         ("2025", "47241")]
    assert records["0417497106"].activities == ()
