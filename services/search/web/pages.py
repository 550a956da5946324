"""The shoppers' page (``/``) and the ops page (``/ops``), rendered on the server; a little JavaScript only adds
type-ahead. Visits are counted (privacy-preserving, see stats.py)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.search.deps import SearcherDep, StatsDep, require_ops
from services.search.query import PlaceNotFound, build_query, resolve_place, split_place
from services.search.stats import Period
from services.search.web.i18n import TEXTS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, searcher: SearcherDep, stats: StatsDep, lang: str = "nl", place: str = "", q: str = "",
    radius_km: Annotated[int, Query(ge=1, le=50)] = 10, category: Annotated[list[str] | None, Query()] = None,
    delivery: bool = False, pickup: bool = False, webshop: bool = False, page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    lang = lang if lang in TEXTS else "nl"
    await stats.visit(request.client.host if request.client else "", request.headers.get("user-agent", ""),
                      datetime.now(UTC))
    form = {"place": place, "q": q, "radius_km": radius_km, "category": category or [], "delivery": delivery,
            "pickup": pickup, "webshop": webshop}
    results, error = None, None
    if place.strip():
        try:
            named, others = resolve_place(*split_place(place))
            query = build_query(named.lat, named.lon, q, radius_km, category or [], delivery, pickup, webshop, page,
                                20, (named, others))
            results = json.loads(await searcher.search(query))
        except PlaceNotFound:
            error = TEXTS[lang]["unknown_place"]
    params = {k: v for k, v in {**form, "lang": lang}.items() if v not in ("", False, None, [])}
    alternatives = [{"label": alt["label"], "query": urlencode({**params, "place": f"{alt['postcode']} "
                                                                                  f"{alt['locality']}"}, doseq=True)}
                    for alt in (results or {}).get("alternatives", [])]
    context = {
        "lang": lang, "t": TEXTS[lang], "form": form, "results": results, "error": error,
        "alternatives": alternatives,
        "categories": await searcher.categories(),
        "other_lang": "fr" if lang == "nl" else "nl",
        "other_query": urlencode({**params, "lang": "fr" if lang == "nl" else "nl"}, doseq=True),
        "prev_query": urlencode({**params, "page": page - 1}, doseq=True) if page > 1 else None,
        "next_query": (urlencode({**params, "page": page + 1}, doseq=True)
                       if results and results["total"] > page * 20 else None),
    }
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/ops", response_class=HTMLResponse, dependencies=[Depends(require_ops)])
async def ops(request: Request, stats: StatsDep) -> HTMLResponse:
    today = datetime.now(UTC).date()
    weeks = await stats.periods(today - timedelta(weeks=11), today, "week")
    context = {"chart": weekly_chart(weeks), "weeks": weeks, "zero": await stats.zero_result_terms(today)}
    return templates.TemplateResponse(request, "ops.html", context)


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
