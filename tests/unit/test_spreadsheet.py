"""Spreadsheets as Belgian partners save them (services/registration/spreadsheet.py): the cells read one by one, then
whole files through the upload endpoint, as Excel writes them on a Belgian Windows (Windows-1252, semicolons, CRLF,
decimal commas, day-first dates), as "CSV UTF-8", comma-separated with quoted decimal commas, and as .xlsx. The
expected moments are built with zoneinfo directly, not with the code under test."""

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.common import codec, events, sealing
from services.registration import spreadsheet
from services.registration.config import Settings
from services.registration.errors import InvalidField, UnsupportedMedia
from services.registration.main import create_app
from tests.fakes import InMemoryPublisher, InMemoryRequestStore, KboSnapshotOf
from tests.samples import signed
from tests.spreadsheet_samples import COLUMNS, ROWS, cells, xlsx

BRUSSELS = ZoneInfo("Europe/Brussels")
PARTNER = "nsz-koopvanuitjekot"
PATH = f"/v1/partners/{PARTNER}/uploads"
XLSX = spreadsheet.XLSX_MEDIA


@pytest.mark.parametrize(("cell", "moment"), [
    ("20/11/2026", datetime(2026, 11, 20, tzinfo=BRUSSELS)),
    ("20/11/2026 14:30", datetime(2026, 11, 20, 14, 30, tzinfo=BRUSSELS)),
    ("1/7/2026 9:05", datetime(2026, 7, 1, 9, 5, tzinfo=BRUSSELS)),  # summer time: +02:00
    ("20-11-26", datetime(2026, 11, 20, tzinfo=BRUSSELS)),  # fr-BE's short date
    ("20.11.2026 14:30:15", datetime(2026, 11, 20, 14, 30, 15, tzinfo=BRUSSELS)),
    ("2026-11-20 14:30", datetime(2026, 11, 20, 14, 30, tzinfo=BRUSSELS)),  # ISO without offset: local time
    ("2026-07-01", datetime(2026, 7, 1, tzinfo=BRUSSELS)),
    ("2026-11-20T14:30:00+01:00", datetime(2026, 11, 20, 14, 30, tzinfo=BRUSSELS)),
    ("2026-11-20T13:30:00Z", datetime(2026, 11, 20, 13, 30, tzinfo=UTC)),  # an offset written is kept
    ("29/03/2026 03:30", datetime(2026, 3, 29, 3, 30, tzinfo=BRUSSELS)),  # just after the clocks went forward
    ("", None),
])
def test_a_date_cell_is_a_moment_in_belgian_local_time(cell: str, moment: datetime | None) -> None:
    read = spreadsheet.moment(cell)
    assert (datetime.fromisoformat(read) if read else None) == moment
    if moment is not None:
        assert datetime.fromisoformat(read).utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(("cell", "why"), [
    ("31/02/2026", "not a date"),
    ("11/20/2026", "not a date"),  # month first: there is no 20th month
    ("29/03/2026 02:30", "does not exist in Belgium"),  # the clocks skip 02:00-03:00
    ("25/10/2026 02:30", "happens twice in Belgium"),  # the clocks repeat 02:00-03:00
    ("20 nov 2026", "not a date"),
    ("2026/11/20", "not a date"),
])
def test_a_date_cell_that_names_no_single_moment_is_refused(cell: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        spreadsheet.moment(cell)


@pytest.mark.parametrize(("cell", "number"), [
    ("51,0543", "51.0543"), ("-3,7", "-3.7"), ("51.0543", "51.0543"), ("4", "4"), ("", "")])
def test_a_decimal_comma_is_a_decimal_point(cell: str, number: str) -> None:
    assert spreadsheet.number(cell) == number


@pytest.mark.parametrize("cell", ["1.051,5", "51,05,3", "51,"])
def test_a_number_cell_with_both_separators_or_several_commas_is_refused(cell: str) -> None:
    with pytest.raises(ValueError, match="not one number"):
        spreadsheet.number(cell)


def test_the_declared_charset_is_honoured_and_windows_1252_is_detected_and_said() -> None:
    text = "naam;gemeente\r\nBakkerij Één;Liège\r\n"
    assert spreadsheet.decode(text.encode("cp1252"), "windows-1252") == (text, "windows-1252", False)
    assert spreadsheet.decode(text.encode("cp1252"), None) == (text, "windows-1252", True)
    assert spreadsheet.decode(b"\xef\xbb\xbf" + text.encode(), None) == (text, "utf-8", False)
    assert spreadsheet.decode(text.encode("utf-16"), None) == (text, "utf-16", False)
    assert spreadsheet.decode(text.encode("iso-8859-15"), "ISO-8859-15") == (text, "iso-8859-15", False)


def test_bytes_that_are_not_in_the_charset_are_refused_with_their_row() -> None:
    with pytest.raises(InvalidField, match="row 2: byte 0x81 is neither UTF-8 nor Windows-1252"):
        spreadsheet.decode(b"naam\nBakkerij \x81\n", None)
    with pytest.raises(InvalidField, match="row 3: byte 0xe9 is not valid utf-8"):
        spreadsheet.decode("naam\nA\nCaf\u00e9\n".encode("cp1252"), "utf-8")
    with pytest.raises(UnsupportedMedia, match="unknown charset"):
        spreadsheet.decode(b"naam\n", "klingon")


def excel_nl_be() -> bytes:
    """Excel's "CSV (gescheiden door lijstscheidingsteken)" on a Belgian Windows."""
    lines = [";".join(COLUMNS), *(";".join(cells(row)) for row in ROWS)]
    return "".join(f"{line}\r\n" for line in lines).encode("cp1252")


def excel_utf8() -> bytes:
    """Excel's "CSV UTF-8": a byte order mark, semicolons, CRLF."""
    return b"\xef\xbb\xbf" + excel_nl_be().decode("cp1252").encode()


def comma_separated() -> bytes:
    """Comma-separated, the decimal commas in quoted cells, dates in ISO without offset."""
    lines = [",".join(COLUMNS), *(",".join(f'"{c}"' if "," in c else c for c in cells(row, when="%Y-%m-%d %H:%M"))
                                  for row in ROWS)]
    return "\n".join(lines).encode()


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def client(publisher: InMemoryPublisher) -> Iterator[TestClient]:
    settings = Settings(topic_prefix="unit.", consume_decisions=False, consume_ingress=False,
                        intake_public_key=sealing.generate()[1],
                        admin_token_sha256=hashlib.sha256(b"unused").hexdigest())
    with TestClient(create_app(settings, publisher, InMemoryRequestStore(), KboSnapshotOf())) as test_client:
        yield test_client


def upload(client: TestClient, body: bytes, content_type: str) -> Any:
    return client.post(PATH, content=body, headers=signed("POST", PATH, body, PARTNER, content_type))


@pytest.mark.parametrize(("make", "content_type", "charset", "detected"), [
    (excel_nl_be, "text/csv", "windows-1252", True),
    (excel_nl_be, "text/csv; charset=windows-1252", "windows-1252", False),
    (excel_utf8, "text/csv", "utf-8", False),
    (comma_separated, "text/csv; charset=UTF-8", "utf-8", False),
    (xlsx, XLSX, None, None),
])
def test_spreadsheets_as_belgian_offices_save_them_are_read_whole(
        client: TestClient, publisher: InMemoryPublisher, make: Callable[[], bytes], content_type: str,
        charset: str | None, detected: bool | None) -> None:
    response = upload(client, make(), content_type)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(r["row"], r["status"]) for r in result["results"]] == [(2, "accepted"), (3, "accepted")]
    assert (result.get("charset"), result.get("charset_detected")) == (charset, detected)
    published = [codec.decode(events.RegistrationSubmitted, value) for _, _, value in publisher.records]
    assert [(e.business.name, e.business.address.municipality) for e in published] == [
        (name, municipality) for _, name, _, municipality, *_ in ROWS]
    assert [(e.business.position.lat, e.business.position.lon) for e in published] == [
        (lat, lon) for *_, lat, lon, _ in ROWS]
    assert [e.consent.given_at if e.consent else None for e in published] == [
        given.replace(tzinfo=BRUSSELS) for *_, given in ROWS]


def test_a_row_with_a_cell_that_cannot_be_read_is_refused_naming_its_row_and_column(
        client: TestClient, publisher: InMemoryPublisher) -> None:
    good = cells(ROWS[0])
    ambiguous, nonexistent, both = list(good), list(good), list(good)
    ambiguous[6], nonexistent[6], both[4] = "25/10/2026 02:30", "31/02/2026", "51.054,3"
    lines = [";".join(COLUMNS), *(";".join(row) for row in (good, ambiguous, nonexistent, both))]
    response = upload(client, "\r\n".join(lines).encode("cp1252"), "text/csv")
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["row"], r["status"]) for r in results] == [
        (2, "accepted"), (3, "rejected"), (4, "rejected"), (5, "rejected")]
    said = {r["row"]: [(e["column"], e["detail"]) for e in r["errors"]] for r in results[1:]}
    for row, column, why in [(3, "consent_given_at", "happens twice"), (4, "consent_given_at", "not a date"),
                             (5, "lat", "not one number")]:
        [(named, detail)] = said[row]
        assert named == column
        assert why in detail
    assert len(publisher.records) == 1


def test_the_models_own_errors_name_the_column_too(client: TestClient) -> None:
    row = cells(ROWS[0])
    row[2] = "99999"  # no such postcode
    body = "\r\n".join([";".join(COLUMNS), ";".join(row)]).encode("cp1252")
    [result] = upload(client, body, "text/csv").json()["results"]
    assert result["status"] == "rejected"
    assert "postcode" in [error.get("column") for error in result["errors"]]


def test_an_upload_of_another_kind_is_refused(client: TestClient) -> None:
    response = upload(client, b"%PDF-1.7", "application/pdf")
    assert response.status_code == 415
    assert XLSX in response.json()["detail"]
