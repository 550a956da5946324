"""The peer baseline for search: PostgreSQL 15 + PostGIS 3 from Debian, on loopback, holding the same listings.

A team that did not pick buurt's Redis index would put the listings in PostGIS and ask, per search: within the
radius, KNN ``ORDER BY geom <-> point``, and a word-prefix filter on a ``tsvector`` (GIN index). Two layouts, each
with a GiST index, and the bench compares buurt with the faster:

- ``geography``: great-circle distances, as buurt gives them;
- ``lambert``: a projected ``geometry`` in Belgian Lambert 2008 (EPSG:3812), planar metres: cheaper per row and
  exact enough within Belgium.

The server is tuned for a read benchmark (no fsync; the data is thrown away afterwards).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from services.infra import postgres

BIN = postgres.BIN

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
    with postgres.server(postgis=True) as port:
        yield port


def load(port: int, rows: list[tuple[str, str, float, float]]) -> None:
    with psycopg.connect(postgres.dsn(port), autocommit=True) as conn:
        conn.execute(SCHEMA)
        with conn.cursor().copy("COPY listings (id, name, lat, lon) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute(INDEXES)
