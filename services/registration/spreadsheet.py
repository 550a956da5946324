"""Partners' spreadsheets as Belgian offices save them, read into rows of named cells (adapters.CSV_COLUMNS).

- **Characters**: the charset the request declares (``text/csv; charset=windows-1252``); without one, UTF-8 (a byte
  order mark is dropped; UTF-16 with its mark is read too), else Windows-1252, which is what Excel's "CSV" writes on a
  Belgian Windows, and the upload's result says it was detected. Bytes that are neither are refused, with their row.
- **Separators**: comma, semicolon or tab, whichever the file uses.
- **Numbers**: a decimal comma (``51,05``: the norm where the separator is a semicolon) is a decimal point; a cell
  with both a comma and a point (``1.051,5``) is refused as ambiguous.
- **Dates**: ISO 8601 as written; day-first dates (``20/11/2026``, ``20-11-26``, ``20.11.2026 14:30``) are Belgian
  local time; a date that does not exist, or a local time that the change of the clocks skips or repeats, is refused.
- **.xlsx** (Excel's own format, through openpyxl): the first sheet; numbers and dates as the cells hold them.

A refusal of a cell names its row (as the spreadsheet numbers them: the header is row 1) and its column.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from services.common.local_time import in_brussels
from services.registration.errors import InvalidField, UnsupportedMedia

CSV_MEDIA = "text/csv"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DETECTED_CHARSET = "windows-1252"
NUMBER_COLUMNS = ("lat", "lon")
DATE_COLUMNS = ("consent_given_at",)
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
DAY_FIRST = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[dict[str, str]]
    charset: str | None = None  # of a CSV file
    charset_detected: bool = False  # not declared: read as Windows-1252 because it was not UTF-8

    def described(self) -> dict[str, Any]:
        """What the upload's result says of the file."""
        return {} if self.charset is None else {"charset": self.charset, "charset_detected": self.charset_detected}


def row_number(index: int) -> int:
    """The spreadsheet's number of the ``index``-th data row (the header is row 1)."""
    return index + 2


def decode(body: bytes, declared: str | None) -> tuple[str, str, bool]:
    """The text, the charset it was read with, and whether that charset was detected rather than declared."""
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise UnsupportedMedia(f"unknown charset {declared!r}; send UTF-8 or declare windows-1252") from None
        return _decoded(body, codec, f"not valid {declared}"), declared.lower(), False
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(body, "utf-16", "not valid UTF-16"), "utf-16", False
    try:
        return body.decode("utf-8-sig"), "utf-8", False
    except UnicodeDecodeError:
        text = _decoded(body, "cp1252", "neither UTF-8 nor Windows-1252; declare the charset (text/csv; charset=...)")
        return text, DETECTED_CHARSET, True


def _decoded(body: bytes, codec: str, complaint: str) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        row = body[:exc.start].count(b"\n") + 1
        raise InvalidField(f"row {row}: byte 0x{body[exc.start]:02x} is {complaint}", f"/rows/{row}") from None


def read_csv(body: bytes, declared_charset: str | None) -> Sheet:
    text, charset, detected = decode(body, declared_charset)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_dialect(text[:4096]))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as exc:
        raise InvalidField(f"not readable as CSV: {exc} (row {reader.line_num})", f"/rows/{reader.line_num}") from None
    return Sheet(header, rows, charset, detected)


def _dialect(sample: str) -> type[csv.Dialect]:
    """Comma, semicolon or tab, whichever the sample uses; a comma when it cannot tell (the sniffer raises on a
    one-column sample)."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        return csv.excel


def read_xlsx(body: bytes, max_rows: int) -> Sheet:
    """The first sheet of an Excel workbook; numbers and dates as typed in the cells (dates are Belgian local time)."""
    from openpyxl import load_workbook  # only for the uploads that need it

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reason a workbook cannot be opened is the partner's to fix
        raise InvalidField(f"not readable as an .xlsx workbook: {exc.__class__.__name__}", "") from None
    try:
        cells = workbook.worksheets[0].iter_rows(values_only=True, max_row=max_rows + 2)
        header = [_xlsx_text(value).strip() for value in next(cells, ())]
        rows = [dict(zip(header, map(_xlsx_text, values), strict=False)) for values in cells
                if any(value not in (None, "") for value in values)]
    finally:
        workbook.close()
    return Sheet(header, rows)


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")  # naive: read as Belgian local time by ``moment``
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number(cell: str) -> str:
    """A number cell, its decimal comma made a point; left as written when it holds no comma (the validation names
    what is wrong with it)."""
    if "," not in cell:
        return cell
    if DECIMAL_COMMA.match(cell):
        return cell.replace(",", ".")
    raise ValueError(f"{cell!r} is not one number (a decimal comma, or a decimal point, not both)")


def moment(cell: str) -> str:
    """A date cell as ISO 8601 with its UTC offset: day-first dates and offset-less ISO times as Belgian local time."""
    if not cell:
        return cell
    day_first = DAY_FIRST.match(cell)
    if day_first:
        return _day_first(day_first).isoformat()
    try:
        parsed = datetime.fromisoformat(cell)
    except ValueError:
        raise ValueError(f"{cell!r} is not a date: write it day first (20/11/2026 14:30) or as ISO 8601") from None
    return (parsed if parsed.tzinfo else in_brussels(parsed)).isoformat()


def _day_first(match: re.Match[str]) -> datetime:
    day, _, month, year, hour, minute, second = match.groups()
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        wall = datetime.combine(date(full_year, int(month), int(day)),
                                time(int(hour or 0), int(minute or 0), int(second or 0)))
    except ValueError as exc:
        raise ValueError(f"{match.group(0)!r} is not a date (day/month/year): {exc}") from None
    return in_brussels(wall)
