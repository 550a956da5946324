"""A full extract staged in a temporary SQLite file, so that its enterprises can be read whole — the enterprise, its
establishments, and the addresses and activities of both — without the dump in memory: each file is streamed into a
table (numbers as ten digits, dates checked and made ISO), then SQLite assembles each enterprise's record
(``events.KboEnterprise``, as JSON) in enterprise-number order. Profiled: assembling the records in Python (pydantic)
cost more than reading the whole extract."""

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from services.kbo import records
from services.kbo.extract import Extract
from services.kbo.layout import ACTIVITY, ADDRESS, ENTERPRISE, ESTABLISHMENT, SUPERSEDED_NACE, FileLayout

CHUNK = 50_000
_SCHEMA = """
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE; PRAGMA cache_size = -262144;
CREATE TABLE enterprise (number TEXT PRIMARY KEY, status TEXT, situation TEXT, type TEXT, form TEXT, start TEXT)
    WITHOUT ROWID;
CREATE TABLE establishment (number TEXT PRIMARY KEY, enterprise TEXT) WITHOUT ROWID;
CREATE TABLE address (entity TEXT, type TEXT, zipcode TEXT, municipality_nl TEXT, municipality_fr TEXT,
                      street_nl TEXT, street_fr TEXT, house_number TEXT, box TEXT, struck_off TEXT);
CREATE TABLE activity (entity TEXT, grp TEXT, version TEXT, code TEXT, classification TEXT);
"""
_OWNED = """
CREATE TABLE owned_{table} AS SELECT coalesce(establishment.enterprise, {table}.entity) AS owner, {table}.*
    FROM {table} LEFT JOIN establishment ON establishment.number = {table}.entity;
CREATE INDEX owned_{table}_of ON owned_{table} (owner);
"""
# The record of every enterprise as events.KboEnterprise serialises it (tests/unit/test_kbo_load.py decodes it).
_RECORDS = """
SELECT e.number, json_object(
  'schema_version', 1, 'number', e.number, 'status', e.status, 'juridical_situation', e.situation,
  'type_of_enterprise', e.type, 'juridical_form', e.form, 'start_date', e.start,
  'establishments', (SELECT json_group_array(number) FROM establishment WHERE enterprise = e.number),
  'addresses', (SELECT json_group_array(json_object(
      'entity', entity, 'type', type, 'zipcode', zipcode, 'municipality_nl', municipality_nl,
      'municipality_fr', municipality_fr, 'street_nl', street_nl, 'street_fr', street_fr,
      'house_number', house_number, 'box', box, 'struck_off', struck_off)) FROM owned_address WHERE owner = e.number),
  'activities', (SELECT json_group_array(json_object(
      'entity', entity, 'group', grp, 'nace_version', version, 'nace_code', code, 'classification', classification))
      FROM owned_activity WHERE owner = e.number))
FROM enterprise e ORDER BY e.number
"""
Progress = Callable[[str, int], None]  # (step, rows so far; -1 when done)
Row = tuple[str | None, ...]


class Staged:
    def __init__(self, extract: Extract, path: Path, progress: Progress) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(_SCHEMA)
        self._stage(extract, ENTERPRISE, "INSERT INTO enterprise VALUES (?, ?, ?, ?, ?, ?)", _enterprise, progress)
        self._stage(extract, ESTABLISHMENT, "INSERT INTO establishment VALUES (?, ?)", _establishment, progress)
        self._stage(extract, ADDRESS, "INSERT INTO address VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _address,
                    progress)
        self._stage(extract, ACTIVITY, "INSERT INTO activity VALUES (?, ?, ?, ?, ?)", _activity, progress)
        progress("indexing", 0)
        self.db.execute("CREATE INDEX establishment_of ON establishment (enterprise, number)")
        for table in ("address", "activity"):
            self.db.executescript(_OWNED.format(table=table))
        progress("indexing", -1)

    def _stage(self, extract: Extract, layout: FileLayout, sql: str,
               convert: Callable[[list[str], str, int], Row | None], progress: Progress) -> None:
        member = f"{layout.name}.csv"
        self.db.execute("BEGIN")
        chunk: list[Row] = []
        for line, row in extract.lines(member, layout):
            converted = convert(row, member, line)
            if converted is not None:
                chunk.append(converted)
            if len(chunk) == CHUNK:
                self.db.executemany(sql, chunk)
                progress(member, line - 1)
                chunk = []
        self.db.executemany(sql, chunk)
        self.db.execute("COMMIT")
        progress(member, -1)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM enterprise").fetchone()[0])

    def records(self) -> Iterator[tuple[str, str]]:
        """(number, record JSON) of every enterprise, in number order."""
        return iter(self.db.execute(_RECORDS))

    def close(self) -> None:
        self.db.close()


def iso_day(value: str, file: str, line: int) -> str | None:
    day = records.day(value, file, line)
    return day.isoformat() if day is not None else None


def _enterprise(row: list[str], member: str, line: int) -> Row:
    number, status, situation, kind, form, _, start = row
    return records.digits(number, member, line), status, situation, kind, form, iso_day(start, member, line)


def _establishment(row: list[str], member: str, line: int) -> Row:
    return records.digits(row[0], member, line), records.digits(row[2], member, line)


def _address(row: list[str], member: str, line: int) -> Row:
    entity, kind, _, _, zipcode, m_nl, m_fr, s_nl, s_fr, house, box, _, struck = row
    return (records.digits(entity, member, line), kind, zipcode, m_nl, m_fr, s_nl, s_fr, house, box,
            iso_day(struck, member, line))


def _activity(row: list[str], member: str, line: int) -> Row | None:
    entity, group, version, code, classification = row
    if version == SUPERSEDED_NACE:
        return None  # a sixth of the real activity.csv, which the 2008 and 2025 rows of the same entities replace
    return records.digits(entity, member, line), group, version, code, classification
