"""The shoppers' page (``/``) and the ops page (``/ops``), rendered on the server; a little JavaScript only adds
type-ahead. Visits are counted (privacy-preserving, see stats.py)."""

import json
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import phonenumbers
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.common import places
from services.common.events import OpeningHours
from services.common.opening import is_open
from services.insights.reader import DemandReader
from services.insights.windows import ALL
from services.search.built import RETRY_AFTER_S
from services.search.deps import DemandDep, SearcherDep, StatsDep, require_ops
from services.search.index import IndexLost
from services.search.query import PlaceNotFound, build_query, resolve_place, split_place
from services.search.stats import Period
from services.search.web.i18n import TEXTS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def display_phone(number: str) -> str:
    """A phone number as people read it (``+32 9 225 87 57``: phonenumbers' international form); as stored when it
    does not parse."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, "BE"),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return number


templates.env.filters["phone"] = display_phone
router = APIRouter(include_in_schema=False)
FACETS_ON_PAGE = 2000  # the page counts its filters' results only for searches with at most this many (estimated)


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, searcher: SearcherDep, stats: StatsDep, lang: str = "nl", place: str = "", q: str = "",
    radius_km: Annotated[int, Query(ge=1, le=50)] = 10, category: Annotated[list[str] | None, Query()] = None,
    delivery: bool = False, pickup: bool = False, webshop: bool = False, open_now: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    lang = lang if lang in TEXTS else "nl"
    now = datetime.now(UTC)
    await stats.visit(request.client.host if request.client else "", request.headers.get("user-agent", ""), now)
    form = {"place": place, "q": q, "radius_km": radius_km, "category": category or [], "delivery": delivery,
            "pickup": pickup, "webshop": webshop, "open_now": open_now}
    results, error, status = None, None, 200
    try:
        categories = await searcher.categories()
        if place.strip():
            named, others = resolve_place(*split_place(place))
            query = build_query(named.lat, named.lon, q, radius_km, category or [], delivery, pickup, webshop, page,
                                20, (named, others), open_at=now if open_now else None)
            results = json.loads(await searcher.search(query))
            if results["total"] <= FACETS_ON_PAGE:  # the counts beside the filters: bounded work, not a search
                counted = await searcher.facets(query)
                results["facets"] = counted.model_dump() if counted else None
            for hit in results["results"]:  # the badge: open at this moment, on Belgian clocks
                hit["open_now"] = is_open([OpeningHours.model_validate(h) for h in hit["channels"]["opening_hours"]],
                                          now)
    except PlaceNotFound:
        error = TEXTS[lang]["unknown_place"]
    except IndexLost:  # the page still renders, in the shopper's language, saying when to come back
        categories, error, status = [], TEXTS[lang]["rebuilding"], 503
    params = {k: v for k, v in {**form, "lang": lang}.items() if v not in ("", False, None, [])}
    alternatives = [{"label": alt["label"], "query": urlencode({**params, "place": f"{alt['postcode']} "
                                                                                  f"{alt['locality']}"}, doseq=True)}
                    for alt in (results or {}).get("alternatives", [])]
    context = {
        "lang": lang, "t": TEXTS[lang], "form": form, "results": results, "error": error,
        "alternatives": alternatives,
        "categories": categories,
        "other_lang": "fr" if lang == "nl" else "nl",
        "other_query": urlencode({**params, "lang": "fr" if lang == "nl" else "nl"}, doseq=True),
        "prev_query": urlencode({**params, "page": page - 1}, doseq=True) if page > 1 else None,
        "next_query": (urlencode({**params, "page": page + 1}, doseq=True)
                       if results and results["total"] > page * 20 else None),
    }
    return templates.TemplateResponse(request, "index.html", context, status_code=status,
                                      headers={"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None)


@router.get("/ops", response_class=HTMLResponse, dependencies=[Depends(require_ops)])
async def ops(request: Request, stats: StatsDep, demand: DemandDep) -> HTMLResponse:
    today = datetime.now(UTC).date()
    weeks = await stats.periods(today - timedelta(weeks=11), today, "week")
    unmet = await unmet_demand(demand, today)
    context = {"chart": weekly_chart(weeks), "weeks": weeks, "zero": await stats.zero_result_terms(today),
               "unmet_chart": unmet_chart(unmet), "unmet": unmet}
    return templates.TemplateResponse(request, "ops.html", context)


async def unmet_demand(demand: DemandReader, today: date, top: int = 10) -> list[tuple[str, int, int]]:
    """The municipalities with the most searches without results in the last 12 ISO weeks (k-anonymous cells):
    (name, searches without results, searches), most first."""
    start = datetime.combine(today - timedelta(weeks=12), time(), UTC)
    cells = await demand.cells("week", start, datetime.combine(today, time(23, 59), UTC), None, ALL)
    totals: dict[str, list[int]] = {}
    for cell in cells:
        summed = totals.setdefault(cell.municipality_nis, [0, 0])
        summed[0], summed[1] = summed[0] + cell.zero_result_searches, summed[1] + cell.searches
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return [(places.municipality_name(nis), zero, searches) for nis, (zero, searches) in ranked]


def unmet_chart(rows: list[tuple[str, int, int]], width: int = 640, bar: int = 22) -> str:
    """Searches without results per municipality as an inline SVG bar chart (no script, no external asset)."""
    top = max([zero for _, zero, _ in rows] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{bar * len(rows) + 4}" role="img" '
             f'aria-label="Searches without results per municipality">']
    for i, (name, zero, searches) in enumerate(rows):
        length = round((width - 260) * zero / top)
        parts.append(f'<text x="0" y="{i * bar + 15}" font-size="12">{escape(name)}</text>'
                     f'<rect x="180" y="{i * bar + 3}" width="{length}" height="{bar - 6}" fill="#9a3412">'
                     f"<title>{escape(name)}: {zero} of {searches}</title></rect>"
                     f'<text x="{186 + length}" y="{i * bar + 15}" font-size="11">{zero} of {searches}</text>')
    parts.append("</svg>")
    return "".join(parts)


def weekly_chart(weeks: list[Period], width: int = 640, height: int = 220) -> str:
    """Unique visitors per week as an inline SVG bar chart (no script, no external asset)."""
    top = max([w.unique_visitors for w in weeks] + [1])
    bar = width // max(len(weeks), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" role="img" '
             f'aria-label="Unique visitors per week">']
    for i, week in enumerate(weeks):
        h = round(height * week.unique_visitors / top)
        x = i * bar
        parts.append(f'<rect x="{x + 4}" y="{height - h}" width="{bar - 8}" height="{h}" fill="#14532d">'
                     f"<title>{week.label}: {week.unique_visitors}</title></rect>")
        parts.append(f'<text x="{x + bar / 2}" y="{height + 15}" font-size="10" text-anchor="middle">'
                     f"{week.label[-3:]}</text>")
        parts.append(f'<text x="{x + bar / 2}" y="{height - h - 4}" font-size="10" text-anchor="middle">'
                     f"{week.unique_visitors}</text>")
    parts.append("</svg>")
    return "".join(parts)
