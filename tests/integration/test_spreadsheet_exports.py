"""Real spreadsheet exports: LibreOffice Calc (Debian's, headless) saves a workbook whose cells are shown as on a
Belgian computer as CSV, as a Belgian partner's office would: semicolons and Windows-1252, or commas and UTF-8 (the
decimal commas then quoted). Each file, and the workbook itself, is uploaded to the registration service over real
Kafka and Redis; what reaches Kafka is compared with the values typed into the workbook."""

import asyncio
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.common import codec, events
from services.common.topics import Topics
from services.infra import apt
from services.registration.spreadsheet import XLSX_MEDIA
from tests.integration.test_registration_kafka import client_for
from tests.kafka_tools import read_all
from tests.samples import signed
from tests.spreadsheet_samples import ROWS, xlsx

PARTNER = "nsz-koopvanuitjekot"
PATH = f"/v1/partners/{PARTNER}/uploads"
# LibreOffice's CSV filter options: separator, text delimiter (as character codes), character set, first line
EXPORTS = {"semicolons, Windows-1252": ("59,34,1,1", "text/csv"),
           "commas, UTF-8": ("44,34,76,1", "text/csv; charset=utf-8")}


def export(workbook: Path, options: str, out: Path) -> bytes:
    soffice = apt.ensure("soffice", ["libreoffice-calc-nogui"], recommends=False)
    subprocess.run([soffice, f"-env:UserInstallation=file://{out / 'profile'}", "--headless", "--convert-to",
                    f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=120)
    return (out / workbook.with_suffix(".csv").name).read_bytes()


@pytest.mark.parametrize("kind", [*EXPORTS, ".xlsx"])
def test_what_libreoffice_saves_is_read_as_typed(kafka_bootstrap: str, redis_url: str, topics: Topics,
                                                 tmp_path: Path, kind: str) -> None:
    workbook = tmp_path / "registrations.xlsx"
    workbook.write_bytes(xlsx(belgian_formats=True))
    if kind == ".xlsx":
        body, content_type = workbook.read_bytes(), XLSX_MEDIA
    else:
        options, content_type = EXPORTS[kind]
        body = export(workbook, options, tmp_path)
        assert b"51,0543" in body  # shown as on a Belgian computer
    with client_for(kafka_bootstrap, redis_url, topics) as client:
        response = client.post(PATH, content=body, headers=signed("POST", PATH, body, PARTNER, content_type))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["accepted"] * len(ROWS), response.text
    published = [codec.decode(events.RegistrationSubmitted, record.value)
                 for record in asyncio.run(read_all(kafka_bootstrap, topics.submitted, expect=len(ROWS)))]
    assert sorted(typed(event) for event in published) == sorted(
        (number, name, municipality, lat, lon, given.replace(tzinfo=ZoneInfo("Europe/Brussels")))
        for number, name, _, municipality, lat, lon, given in ROWS)


def typed(event: events.RegistrationSubmitted) -> tuple[Any, ...]:
    business = event.business
    return (business.enterprise_number, business.name, business.address.municipality, business.position.lat,
            business.position.lon, event.consent.given_at if event.consent else None)
