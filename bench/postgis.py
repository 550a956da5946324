"""The peer baseline for search: PostgreSQL 15 + PostGIS 3 from Debian, on loopback, holding the same listings.

A team that did not pick buurt's Redis index would put the listings in PostGIS and ask, per search: within the
radius, KNN ``ORDER BY geom <-> point``, and a word-prefix filter on a ``tsvector`` (GIN index). Two layouts, each
with a GiST index, and the bench compares buurt with the faster:

- ``geography``: great-circle distances, as buurt gives them;
- ``lambert``: a projected ``geometry`` in Belgian Lambert 2008 (EPSG:3812), planar metres: cheaper per row and
  exact enough within Belgium.

The server is tuned for a read benchmark (no fsync; the data is thrown away afterwards).
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from services.infra import apt, process

BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
PACKAGES = ["postgresql-15", "postgresql-15-postgis-3"]

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE listings (
    id text PRIMARY KEY, name text NOT NULL, lat double precision NOT NULL, lon double precision NOT NULL,
    geom geography(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED,
    lambert geometry(Point, 3812)
        GENERATED ALWAYS AS (ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3812)) STORED,
    words tsvector GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED);
"""
INDEXES = """
CREATE INDEX listings_geom ON listings USING gist (geom);
CREATE INDEX listings_lambert ON listings USING gist (lambert);
CREATE INDEX listings_words ON listings USING gin (words);
ANALYZE listings;
"""
# The same question buurt answers: within the radius, nearest first, optionally a word prefix, a page of 20;
# as pgbench scripts drawing the point (and the word) at random.
SEARCH = """\\set la random(0, {lat_steps})
\\set lo random(0, {lon_steps})
{word}SELECT id, name, ST_Distance({column}, p.point) AS metres
FROM listings, (SELECT {point} AS point) p
WHERE ST_DWithin({column}, p.point, 5000){where}
ORDER BY {column} <-> p.point
LIMIT 20;
"""
LONLAT = "ST_SetSRID(ST_MakePoint({lon0} + :lo / 1e6, {lat0} + :la / 1e6), 4326)"
POINTS = {"geography": ("geom", LONLAT + "::geography"), "lambert": ("lambert", f"ST_Transform({LONLAT}, 3812)")}
LAYOUTS = tuple(POINTS)


def pgbench_scripts(area: tuple[float, float, float, float], words: tuple[str, ...], layout: str) -> dict[str, str]:
    """Half the searches with a word prefix (any of ``words``' first four letters), as in the buurt runs."""
    lat0, lat1, lon0, lon1 = area
    column, point = POINTS[layout]
    common = {"lat_steps": round((lat1 - lat0) * 1e6) - 1, "lon_steps": round((lon1 - lon0) * 1e6) - 1,
              "column": column, "point": point.format(lat0=lat0, lon0=lon0)}
    prefixes = ",".join(f"'{word[:4]}:*'" for word in words)
    return {"plain": SEARCH.format(**common, word="", where=""),
            "words": SEARCH.format(**common, word=f"\\set w random(1, {len(words)})\n",
                                   where=f"\n  AND words @@ to_tsquery('simple', (ARRAY[{prefixes}])[:w])")}


@contextmanager
def server() -> Iterator[int]:
    """A throw-away PostGIS server on loopback (user ``bench``, trusted); yields its port."""
    if not (BIN / "initdb").exists() or not POSTGIS_CONTROL.exists():
        apt.install(PACKAGES, reason="PostgreSQL 15 with PostGIS 3 not found")
    home = Path(tempfile.mkdtemp(prefix="buurt-postgis-"))
    data, port = home / "data", process.free_port()
    as_owner = _as_owner(home)
    _run([*as_owner, str(BIN / "initdb"), "-D", str(data), "-U", "bench", "-A", "trust", "--no-sync"])
    options = (f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c shared_buffers=1GB -c max_connections=200 -c jit=off")
    _run([*as_owner, str(BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "server.log"), "-o", options, "-w",
          "start"])
    try:
        yield port
    finally:
        subprocess.run([*as_owner, str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],  # noqa: S603
                       check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:5])} …: {done.stderr.strip()}")


def _as_owner(home: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates."""
    if os.geteuid() != 0:
        return []
    shutil.chown(home, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--"]


def load(port: int, rows: list[tuple[str, str, float, float]]) -> None:
    with psycopg.connect(f"host=127.0.0.1 port={port} user=bench dbname=postgres", autocommit=True) as conn:
        conn.execute(SCHEMA)
        with conn.cursor().copy("COPY listings (id, name, lat, lon) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(INDEXES)
