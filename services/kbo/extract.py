"""Reading a KBO/BCE Open Data extract ZIP as a stream (layout.py): never more than a row of a file in memory, and
every flaw — not a ZIP, a file missing, columns not the published ones, a row of the wrong width, bytes that are not
UTF-8 — an ``ExtractError`` naming the file and the line."""

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, cast

from services.kbo.layout import DATA_FILES, META, UPDATE_FILES, FileLayout

if TYPE_CHECKING:
    import _csv

ExtractType = Literal["full", "update"]
META_FIELDS = ("SnapshotDate", "ExtractTimestamp", "ExtractType", "ExtractNumber", "Version")


class ExtractError(Exception):
    """A flaw of an extract, with where it is (``file``, ``line``: 0 for the file as a whole)."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        super().__init__(f"{file}{f', line {line}' if line else ''}: {problem}")
        self.file, self.line, self.problem = file, line, problem


@dataclass(frozen=True)
class Meta:
    snapshot_date: date
    extract_timestamp: datetime
    extract_type: ExtractType
    extract_number: int
    version: str


class Extract:
    """An opened extract: its meta, and the rows of each of its files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExtractError(path.name, 0, f"not a readable ZIP archive ({exc})") from None
        try:
            self.meta = read_meta(self)
            missing = [name for name in self.members() if name not in self.archive.namelist()]
            if missing:
                raise ExtractError(path.name, 0, f"{self.meta.extract_type} extract without {', '.join(missing)}")
        except ExtractError:
            self.archive.close()
            raise

    def members(self) -> list[str]:
        """The files an extract of its type must hold besides meta.csv: every file of a full extract; the delete and
        insert files of what the platform reads, for an update (the others are checked when present)."""
        if self.meta.extract_type == "full":
            return [f"{layout.name}.csv" for layout in DATA_FILES]
        return [f"{layout.name}_{part}.csv" for layout in UPDATE_FILES for part in ("delete", "insert")]

    def present(self) -> list[tuple[str, FileLayout]]:
        """Every data file the archive holds, with its layout."""
        names = set(self.archive.namelist())
        suffixes = ("",) if self.meta.extract_type == "full" else ("_delete", "_insert")
        return [(f"{layout.name}{suffix}.csv", layout) for layout in DATA_FILES for suffix in suffixes
                if f"{layout.name}{suffix}.csv" in names]

    def rows(self, member: str, layout: FileLayout) -> Iterator[dict[str, str]]:
        """A file's rows as column → value, checked against the layout (a delete file has the key column only)."""
        columns = _columns(member, layout)
        for _, row in self.lines(member, layout):
            yield dict(zip(columns, row, strict=True))

    def lines(self, member: str, layout: FileLayout) -> Iterator[tuple[int, list[str]]]:
        """A file's rows as (line number, fields in the layout's order), checked against the layout."""
        expected = _columns(member, layout)
        try:
            raw = self.archive.open(member)
        except KeyError:
            raise ExtractError(member, 0, "missing from the archive") from None
        except zipfile.BadZipFile as exc:
            raise ExtractError(member, 0, f"corrupt ({exc})") from None
        with raw:
            reader = csv.reader(_lines(raw, member))
            try:
                yield from _checked(reader, member, expected)
            except (zipfile.BadZipFile, EOFError, csv.Error) as exc:
                raise ExtractError(member, reader.line_num, f"unreadable ({exc})") from None

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> "Extract":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lines(raw: IO[bytes], member: str) -> Iterator[str]:
    """The file's lines decoded one by one, so that a byte that is not UTF-8 is found on its own line."""
    for number, line in enumerate(raw, 1):
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ExtractError(member, number, "not UTF-8 (the extracts are published in UTF-8)") from None


def _columns(member: str, layout: FileLayout) -> tuple[str, ...]:
    return (layout.key,) if member.endswith("_delete.csv") else layout.columns


def _checked(reader: "_csv.Reader", member: str, expected: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    header = next(reader, None)
    if header is None or tuple(header) != expected:
        raise ExtractError(member, 1, f"columns {header} are not the published {list(expected)}")
    width = len(expected)
    for row in reader:
        if len(row) != width:
            raise ExtractError(member, reader.line_num, f"{len(row)} fields, {len(expected)} expected")
        yield reader.line_num, row


def read_meta(extract: Extract) -> Meta:
    found = {row["Variable"]: row["Value"] for row in extract.rows("meta.csv", META)}
    missing = [name for name in META_FIELDS if name not in found]
    if missing:
        raise ExtractError("meta.csv", 0, f"without {', '.join(missing)}")
    kind = found["ExtractType"].lower()
    if kind not in ("full", "update"):
        raise ExtractError("meta.csv", 0, f"ExtractType {found['ExtractType']!r} is neither full nor update")
    try:
        return Meta(snapshot_date=datetime.strptime(found["SnapshotDate"], "%d-%m-%Y").date(),
                    extract_timestamp=datetime.strptime(found["ExtractTimestamp"], "%d-%m-%Y %H:%M:%S"),
                    extract_type=cast(ExtractType, kind), extract_number=int(found["ExtractNumber"]),
                    version=found["Version"])
    except ValueError as exc:
        raise ExtractError("meta.csv", 0, f"unreadable value ({exc})") from None
