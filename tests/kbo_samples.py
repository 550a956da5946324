"""KBO/BCE Open Data extracts written in the published layout (services/kbo/layout.py), for the tests."""

import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.common import places
from services.common.events import Address, Business, Position
from services.kbo import synthetic
from services.kbo.layout import DATA_FILES, META


def meta_rows(number: int = 140, kind: str = "full", snapshot: str = "22-11-2026") -> list[list[str]]:
    return [["SnapshotDate", snapshot], ["ExtractTimestamp", f"{snapshot} 04:12:31"], ["ExtractType", kind],
            ["ExtractNumber", str(number)], ["Version", "1.0.0"]]


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def write_extract(path: Path, files: Mapping[str, Sequence[Sequence[str]]], kind: str = "full", number: int = 140,
                  raw: Mapping[str, bytes] | None = None) -> Path:
    """A ZIP with meta.csv and every file of the extract's type (empty unless given rows), ``raw`` as given."""
    names = ({f"{layout.name}.csv": layout.columns for layout in DATA_FILES} if kind == "full" else
             {f"{layout.name}_{part}.csv": (layout.key,) if part == "delete" else layout.columns
              for layout in DATA_FILES for part in ("delete", "insert")})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.csv", csv_bytes(META.columns, meta_rows(number, kind)))
        for name, header in names.items():
            archive.writestr(name, csv_bytes(header, files.get(name, [])))
        for name, data in (raw or {}).items():
            archive.writestr(name, data)
    return path


def claim_at_first_site(enterprise: synthetic.Enterprise) -> Business:
    """A registration of a synthetic enterprise at its first establishment (or its seat), as a partner sends it."""
    site = enterprise.establishments[0][1] if enterprise.establishments else enterprise.seat
    assert site is not None
    place = places.in_postcode(site.postcode, site.municipality_nl)
    assert place is not None
    return Business(enterprise_number=enterprise.number, name=enterprise.name, categories=("speciaalzaak",),
                    address=Address(street=site.street_nl, number=site.number, postcode=site.postcode,
                                    municipality=place.municipality.name, locality=place.name),
                    position=Position(lat=place.lat, lon=place.lon))
