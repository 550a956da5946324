"""The partners' view of the demand insights (docs/insights.md): where shoppers searched, for what, and how often
they found nothing — read with the partner's own credentials, k-anonymous (services/insights/reader.py)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from redis.exceptions import RedisError

from services.common import places
from services.common.categories import CATEGORIES
from services.common.local_time import BRUSSELS
from services.insights import recruit as recruiting
from services.insights.reader import Cell, DemandReader
from services.insights.recruit import Opportunity
from services.insights.windows import ALL, Granularity
from services.registration.api import problems
from services.registration.deps import PartnerDep
from services.registration.errors import InvalidField, StoreUnavailable

router = APIRouter(prefix="/v1", tags=["insights"])
MAX_DAYS = 400
MAX_RECRUIT = 500
RECRUIT_FIELDS = ("municipality_nis", "municipality", "category", "searches", "zero_result_searches", "listings",
                  "score")
CSV_FIELDS = ("window", "municipality_nis", "municipality", "category", "searches", "zero_result_searches",
              "zero_result_words")


@router.get("/insights/demand", responses=problems(401, 422, 503))
async def demand(request: Request, _: PartnerDep,
                 granularity: Literal["hour", "day", "week"] = "day",
                 start: Annotated[date | None, Query(alias="from", description="first day (a week ago)")] = None,
                 end: Annotated[date | None, Query(alias="to", description="last day (default: today)")] = None,
                 municipality: Annotated[str | None, Query(description="NIS code or name")] = None,
                 category: Annotated[str | None, Query(description="a category code, or * for every search")] = None,
                 accept: Annotated[str | None, Header()] = None) -> Response:
    """Searches, searches without results and the words of those, per window, municipality and category; cells
    counted fewer than k times, and words searched fewer than k times, are left out (k-anonymity)."""
    period = _period(start, end)
    nis = _municipality(municipality)
    _known_category(category)
    reader: DemandReader = request.app.state.demand
    cells = await _cells(reader, granularity, period, nis, category)
    if accept and "text/csv" in accept:
        return Response(_csv(cells), media_type="text/csv")
    return JSONResponse({"granularity": granularity, "from": period[0].isoformat(), "to": period[1].isoformat(),
                         "k": reader.k, "cells": [_json(cell) for cell in cells]})


@router.get("/insights/recruit", responses=problems(401, 422, 503))
async def recruit(request: Request, _: PartnerDep,
                  start: Annotated[date | None, Query(alias="from", description="first day (a week ago)")] = None,
                  end: Annotated[date | None, Query(alias="to", description="last day (default: today)")] = None,
                  municipality: Annotated[str | None, Query(description="NIS code or name")] = None,
                  category: Annotated[str | None, Query(description="a category code")] = None,
                  limit: Annotated[int, Query(ge=1, le=MAX_RECRUIT)] = 50,
                  accept: Annotated[str | None, Header()] = None) -> Response:
    """Where to recruit: municipalities × categories ranked by searches per listing, counting the business to
    recruit (searches ÷ (listings + 1)); from the same k-anonymous day cells as the demand, and the listings the
    search index holds in each municipality today."""
    period = _period(start, end)
    nis = _municipality(municipality)
    _known_category(category)
    reader: DemandReader = request.app.state.demand
    searched = recruiting.demand(await _cells(reader, "day", period, nis, category))
    try:
        listings = await request.app.state.listings.listings_in(sorted(searched))
    except RedisError as exc:
        raise StoreUnavailable("the index cannot be read; retry shortly") from exc
    found = recruiting.ranked(searched, listings, limit)
    if accept and "text/csv" in accept:
        return Response(_recruit_csv(found), media_type="text/csv")
    return JSONResponse({"from": period[0].isoformat(), "to": period[1].isoformat(), "k": reader.k,
                         "opportunities": [_opportunity(o) for o in found]})


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or datetime.now(BRUSSELS).date()
    start = start or end - timedelta(days=7)
    if start > end or (end - start).days > MAX_DAYS:
        raise InvalidField(f"from must precede to, at most {MAX_DAYS} days apart", "/from")
    return start, end


def _known_category(category: str | None) -> None:
    if category is not None and category != ALL and category not in CATEGORIES:
        raise InvalidField(f"unknown category {category!r}; see GET /v1/categories of the search API", "/category")


async def _cells(reader: DemandReader, granularity: Granularity, period: tuple[date, date], nis: str | None,
                 category: str | None) -> list[Cell]:
    try:
        return await reader.cells(granularity, datetime.combine(period[0], time(), BRUSSELS),
                                  datetime.combine(period[1], time(23, 59, 59), BRUSSELS), nis, category)
    except RedisError as exc:
        raise StoreUnavailable("the insights cannot be read; retry shortly") from exc


def _municipality(written: str | None) -> str | None:
    if not written:
        return None
    if written.isdigit() and len(written) == 5:
        return written
    found = places.named(written)
    if not found:
        raise InvalidField(f"unknown Belgian municipality {written!r}", "/municipality")
    return found[0].municipality.nis


def _json(cell: Cell) -> dict[str, object]:
    name = places.municipality_name(cell.municipality_nis)
    return {"window": cell.window, "municipality": {"nis": cell.municipality_nis, "name": name},
            "category": cell.category, "searches": cell.searches, "zero_result_searches": cell.zero_result_searches,
            "zero_result_words": [{"word": word, "count": count} for word, count in cell.zero_result_words]}


def _opportunity(found: Opportunity) -> dict[str, object]:
    return {"municipality": {"nis": found.municipality_nis, "name": places.municipality_name(found.municipality_nis)},
            "category": {"code": found.category, "labels": dict(CATEGORIES.get(found.category, {}))},  # retired: none
            "searches": found.searches, "zero_result_searches": found.zero_result_searches,
            "listings": found.listings, "score": round(found.score, 2)}


def _recruit_csv(found: list[Opportunity]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RECRUIT_FIELDS)
    for o in found:
        writer.writerow([o.municipality_nis, places.municipality_name(o.municipality_nis), o.category,
                         o.searches, o.zero_result_searches, o.listings, round(o.score, 2)])
    return out.getvalue()


def _csv(cells: list[Cell]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for cell in cells:
        writer.writerow([cell.window, cell.municipality_nis, places.municipality_name(cell.municipality_nis),
                         cell.category, cell.searches, cell.zero_result_searches,
                         " ".join(f"{word}:{count}" for word, count in cell.zero_result_words)])
    return out.getvalue()
