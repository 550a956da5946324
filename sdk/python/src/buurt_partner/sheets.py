"""Spreadsheet files cut into uploads the platform takes (at most 1,000 rows each), without changing their bytes.

A CSV file is cut at record boundaries (a quoted cell may hold a line break) and every part repeats the header row,
so the platform reads each part exactly as it would read the whole file: its charset (UTF-8, or Windows-1252 as
Excel writes it: their separators, quotes and line breaks are the same single bytes), separator and decimal commas.
A UTF-16 file is cut after decoding and its parts sent as UTF-8. An .xlsx workbook is sent whole.
"""

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

CSV_MEDIA = "text/csv"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1000


@dataclass(frozen=True)
class Part:
    first_index: int  # the index (0-based, over the file's data rows) of the part's first row
    rows: int
    body: bytes
    content_type: str


def media_type(path: Path) -> str:
    return XLSX_MEDIA if path.suffix.lower() in (".xlsx", ".xlsm") else CSV_MEDIA


def parts(path: Path, rows_per_part: int = MAX_ROWS, charset: str | None = None) -> list[Part]:
    """A spreadsheet file as its uploads: a CSV file in parts, an .xlsx workbook whole (its rows uncounted: -1)."""
    data = path.read_bytes()
    if media_type(path) == XLSX_MEDIA:
        return [Part(0, -1, data, XLSX_MEDIA)]
    return csv_parts(data, rows_per_part, charset)


def csv_parts(data: bytes, rows_per_part: int = MAX_ROWS, charset: str | None = None) -> list[Part]:
    """The file as uploads of at most ``rows_per_part`` data rows each, every one with the header row."""
    if not 1 <= rows_per_part <= MAX_ROWS:
        raise ValueError(f"rows_per_part must be 1 to {MAX_ROWS}")
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            raise ValueError(f"unknown charset {charset!r}") from None
    content_type = CSV_MEDIA + (f"; charset={charset}" if charset else "")
    if charset is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data, content_type = data.decode("utf-16").encode(), f"{CSV_MEDIA}; charset=utf-8"
    elif charset is not None and codecs.lookup(charset).name not in _ASCII_COMPATIBLE:
        data, content_type = data.decode(charset).encode(), f"{CSV_MEDIA}; charset=utf-8"
    records = _records(data)
    if not records:
        return [Part(0, 0, data, content_type)]
    header, rows = records[0], records[1:]
    return [Part(start, len(rows[start:start + rows_per_part]),
                 header + b"".join(rows[start:start + rows_per_part]), content_type)
            for start in range(0, max(len(rows), 1), rows_per_part)]


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")
_ASCII_COMPATIBLE = {"utf-8", "utf-8-sig", "cp1252", "iso8859-1", "iso8859-15", "ascii", "cp850", "mac-roman"}


def _records(data: bytes) -> list[bytes]:
    """The file's records as their own bytes (blank lines dropped, as the platform's reader skips them). Latin-1
    maps every byte to one character, so character offsets are byte offsets whatever the file's real charset."""
    text = data.decode("latin-1")
    lines = _LINES.findall(text)  # at line feeds only: str.splitlines would also cut at 0x85, Windows-1252's "…"
    reader = csv.reader(iter(lines), dialect=_dialect(text[:4096]))
    records, consumed = [], 0
    for cells in reader:
        record = "".join(lines[consumed:reader.line_num])
        consumed = reader.line_num
        if cells:
            records.append(record.encode("latin-1"))
    if records and not records[-1].endswith((b"\n", b"\r")):
        records[-1] += b"\r\n"
    return records


def _dialect(sample: str) -> type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        return csv.excel
