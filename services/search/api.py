"""HTTP edge of the search API: parse parameters, call the searcher, shape responses and errors."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse

from services.common import enterprise
from services.common.events import GEO_MAX_LAT
from services.common.problems import PROBLEM_JSON, problem
from services.search.deps import SearcherDep, StatsDep, require_ops
from services.search.models import CategoryCount, Hit, SearchResults, Suggestions
from services.search.query import (
    MAX_CATEGORIES,
    MAX_PAGE,
    MAX_Q_LENGTH,
    MAX_RADIUS_KM,
    MAX_SIZE,
    PlaceNotFound,
    SearchQuery,
    build_query,
    resolve_place,
    split_place,
)

router = APIRouter(prefix="/v1")
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid parameter (JSON pointer in 'errors')", "content": {PROBLEM_JSON: {}}},
}


class InvalidParameter(Exception):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name, self.detail = name, detail


async def parse_search(
    lat: Annotated[float | None, Query(ge=-GEO_MAX_LAT, le=GEO_MAX_LAT)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    place: Annotated[str | None, Query(min_length=2, max_length=80, description=(
        "a postcode, a place name or both, as an address writes them: '9040', 'Sint-Amandsberg', '2600 Berchem'"))
    ] = None,
    postcode: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    municipality: Annotated[str | None, Query(min_length=2, max_length=80, description=(
        "a postal locality or a municipality, in Dutch, French or German ('Sint-Amandsberg', 'Gand', 'Lüttich'); "
        "with postcode when the name is not enough"))] = None,
    q: Annotated[str | None, Query(max_length=MAX_Q_LENGTH,
                                   description="words (prefixes match), case/accents ignored")] = None,
    radius_km: Annotated[float, Query(gt=0, le=MAX_RADIUS_KM)] = 10,
    category: Annotated[list[str] | None, Query(max_length=MAX_CATEGORIES,
                                                description="any of these category codes")] = None,
    delivery: bool = False, pickup: bool = False, webshop: bool = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
    exact_total: Annotated[bool, Query(description=(
        "count every match (slower when there are many); else total is estimated once the page is complete"))
    ] = False,
    open_now: Annotated[bool, Query(description="only listings open now (their opening hours, Belgian time)")] = False,
    facets: Annotated[bool, Query(description="count every match per category and channel (the total is then "
                                              "exact)")] = False,
    open_at: Annotated[datetime | None, Query(description=(
        "only listings open at this moment: ISO 8601, without an offset it is Belgian time ('2026-12-24T16:30')"))
    ] = None,
) -> SearchQuery:
    """A place is lat+lon, or a place named by postcode and/or name (``place``, or ``postcode`` and
    ``municipality``). A name several places share ('Berchem') means the likeliest; the others are listed in
    ``alternatives``."""
    when = open_at or (datetime.now(UTC) if open_now else None)
    if lat is not None and lon is not None:
        return build_query(lat, lon, q, radius_km, category or [], delivery, pickup, webshop, page, size,
                           exact_total=exact_total, open_at=when, facets=facets)
    if lat is not None or lon is not None:
        raise InvalidParameter("lon" if lon is None else "lat", "give lat and lon together")
    if not (place or postcode or municipality):
        raise InvalidParameter("place", "give a place: lat and lon, or a postcode or place name")
    code, name = split_place(place) if place else (postcode, municipality)
    try:
        named, others = resolve_place(code, name)
    except PlaceNotFound as exc:
        raise InvalidParameter("place" if place else "municipality" if municipality else "postcode",
                               str(exc)) from None
    return build_query(named.lat, named.lon, q, radius_km, category or [], delivery, pickup, webshop, page, size,
                       (named, others), exact_total, when, facets)


@router.get("/search", response_model=SearchResults, responses=PROBLEMS)
async def search(query: Annotated[SearchQuery, Depends(parse_search)], searcher: SearcherDep) -> Response:
    """Listings near a place with their distance: those whose name has every typed word first, then the others,
    each nearest first (ties by name); filtered by words (names, places, the category vocabulary's synonyms and
    product words, typos tolerated: docs/search.md), categories (any of) and channels; ``page``/``size`` select
    the slice. ``total`` counts every match when ``total_exact``; with many matches the search stops once the
    page is complete and estimates it (``exact_total=true`` counts)."""
    return Response(await searcher.search(query), media_type="application/json")


@router.get("/listings/{enterprise_number}", response_model=Hit, responses=PROBLEMS)
async def listing(enterprise_number: str, searcher: SearcherDep) -> Any:
    """One listing by its enterprise number, in any spelling ('BE 0428.759.497', '0428759497', '428759497')."""
    try:
        number = enterprise.enterprise_number(enterprise_number)
    except enterprise.InvalidNumber as exc:
        raise InvalidParameter("enterprise_number", str(exc)) from None
    found = await searcher.listing(number)
    if found is None:
        return problem(404, "Not found", "no listing with this enterprise number")
    return found


@router.get("/categories")
async def categories(searcher: SearcherDep) -> list[CategoryCount]:
    """The category vocabulary with Dutch and French labels and the number of listings in each."""
    return await searcher.categories()


@router.get("/suggest")
async def suggest(searcher: SearcherDep, q: Annotated[str, Query(min_length=1, max_length=60)]) -> Suggestions:
    """Type-ahead on listing names, places and categories."""
    return await searcher.suggest(q)


@router.get("/stats/visitors", dependencies=[Depends(require_ops)],
            responses={401: {"description": "ops credentials missing", "content": {PROBLEM_JSON: {}}}})
async def visitor_stats(stats: StatsDep, start: Annotated[date | None, Query(alias="from")] = None,
                        end: Annotated[date | None, Query(alias="to")] = None,
                        granularity: Literal["week", "day"] = "week", accept: Annotated[str | None, Header()] = None,
                        ) -> Response:
    """Unique visitors (HyperLogLog, about 0.8 % error), searches and searches without results per week or day."""
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(weeks=12)
    if start > end or (end - start).days > 800:
        return problem(422, "Invalid request", "from must precede to, at most 800 days apart",
                       errors=[{"pointer": "/from", "detail": "from must precede to, at most 800 days apart"}])
    periods = await stats.periods(start, end, granularity)
    rows = [p.__dict__ for p in periods]
    if accept and "text/csv" in accept:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["label", "unique_visitors", "searches", "zero_result_searches"])
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv")
    return JSONResponse({"granularity": granularity, "from": start.isoformat(), "to": end.isoformat(),
                         "periods": rows})
