"""The baseline of the relevance test: the same listings in PostgreSQL 15 full text, as a team without buurt's
vocabulary would search them — each listing's name, place and category labels (Dutch and French) as a ``dutch``
and a ``french`` tsvector over ``unaccent``-ed text, every typed word a prefix, and ``pg_trgm`` word similarity
(its ``<%`` operator, default threshold) for typos; within the radius; full-text matches first, then the nearest."""

from collections.abc import Sequence

import psycopg

from services.common.categories import CATEGORIES
from services.common.events import Listing
from services.search.text import tokens

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE listings (id text PRIMARY KEY, lat double precision, lon double precision, doc text,
                       nl tsvector, fr tsvector);
"""
INSERT = """
INSERT INTO listings VALUES (%(id)s, %(lat)s, %(lon)s, lower(unaccent(%(doc)s)),
                             to_tsvector('dutch', unaccent(%(doc)s)), to_tsvector('french', unaccent(%(doc)s)))
"""
INDEXES = """
CREATE INDEX listings_nl ON listings USING gin (nl);
CREATE INDEX listings_fr ON listings USING gin (fr);
CREATE INDEX listings_trgm ON listings USING gin (doc gin_trgm_ops);
ANALYZE listings;
"""
SEARCH = """
WITH q AS (SELECT to_tsquery('dutch', %(prefixes)s) AS q_nl, to_tsquery('french', %(prefixes)s) AS q_fr,
                  lower(unaccent(%(typed)s)) AS typed),
d AS (SELECT id, nl @@ q_nl OR fr @@ q_fr AS text_match, q.typed <%% doc AS fuzzy,
             2 * 6371.0088 * asin(sqrt(sin(radians(lat - %(lat)s) / 2) ^ 2
                 + cos(radians(%(lat)s)) * cos(radians(lat)) * sin(radians(lon - %(lon)s) / 2) ^ 2)) AS km
      FROM listings, q)
SELECT id FROM d WHERE km <= %(radius)s AND (text_match OR fuzzy)
ORDER BY text_match DESC, km, id
LIMIT %(limit)s
"""


def document(listing: Listing) -> str:
    labels = [label for code in listing.categories for label in CATEGORIES.get(code, {}).values()]
    return " ".join([listing.name, listing.address.locality or "", listing.address.municipality, *labels])


def load(conn: psycopg.Connection, listings: Sequence[Listing]) -> None:
    conn.execute(SCHEMA)
    with conn.cursor() as cursor:
        cursor.executemany(INSERT, [{"id": listing.enterprise_number, "lat": listing.position.lat,
                                     "lon": listing.position.lon, "doc": document(listing)} for listing in listings])
    conn.execute(INDEXES)


def search(conn: psycopg.Connection, typed: str, lat: float, lon: float, radius_km: float, limit: int) -> list[str]:
    words = tokens(typed)
    prefixes = " & ".join(f"{word}:*" for word in words) or "''"
    rows = conn.execute(SEARCH, {"prefixes": prefixes, "typed": typed, "lat": lat, "lon": lon,
                                 "radius": radius_km, "limit": limit}).fetchall()
    return [row[0] for row in rows]
