"""A partner's spreadsheet rows, shared by the upload tests (tests/unit/test_spreadsheet.py) and the real exports
of LibreOffice (tests/integration/test_spreadsheet_exports.py)."""

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from services.common.enterprise import with_check_digits

# A registration per row, as a partner's spreadsheet holds it: (number, name, postcode, municipality, lat, lon, when).
ROWS = [
    (with_check_digits("04287594"), "Bakkerij Één", "9000", "Gent", 51.0543, 3.7174, datetime(2026, 11, 20, 14, 30)),
    (with_check_digits("04287595"), "Fromagerie Léon", "4000", "Liège", 50.6326, 5.5797,
     datetime(2026, 7, 1, 9, 5)),
]
COLUMNS = ["enterprise_number", "name", "postcode", "municipality", "lat", "lon", "consent_given_at", "street",
           "number", "categories", "consent_listing", "notice_version", "consent_method", "consent_evidence_ref",
           "language", "person_name", "person_email"]
REST = ["Markt", "1", "bakker", "ja", "2020-04", "ondertekend formulier", "map 17", "nl", "An Claes", "an@example.be"]


def cells(row: tuple[Any, ...], decimal: str = ",", when: str = "%d/%m/%Y %H:%M") -> list[str]:
    number, name, postcode, municipality, lat, lon, given = row
    return [number, name, postcode, municipality, str(lat).replace(".", decimal), str(lon).replace(".", decimal),
            given.strftime(when), *REST]


NL_BE = "[$-813]"  # a number format's locale: Dutch (Belgium), whose decimal separator is a comma


def xlsx(belgian_formats: bool = False) -> bytes:
    """Excel's own format, numbers and dates typed in their cells; ``belgian_formats``: shown as on a Belgian
    computer (decimal commas, day-first dates), which is what a spreadsheet program's CSV export writes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in ROWS:
        sheet.append([*row, *REST])
    shown = {"lat": "0.0000", "lon": "0.0000", "consent_given_at": "DD/MM/YYYY HH:MM"} if belgian_formats else {}
    for column, number_format in shown.items():
        for cell in sheet[chr(ord("A") + COLUMNS.index(column))][1:]:
            cell.number_format = NL_BE + number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
