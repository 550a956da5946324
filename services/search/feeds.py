"""Municipal feeds: the listings of a municipality, or of a province (municipal sites are reached through the
provinces' sites), for the sites to embed — only those whose consent names the purpose ``municipal-sites`` besides
``listing`` (purpose limitation: the index keeps them in sets of their own, ``fm:<NIS>``, which is all a feed reads).
As JSON, GeoJSON or CSV; with ETag (``If-None-Match``: 304) and Last-Modified, cacheable by a CDN for a minute. A
withdrawal leaves a feed in the same write that takes it out of search. Public and read-only, like the search API:
any origin may read them (CORS, no credentials)."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Request, Response

from services.common import places
from services.common.problems import problem
from services.search.index import Feed, ListingIndex
from services.search.models import Hit

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])
Format = Literal["json", "geojson", "csv"]
MEDIA = {"json": "application/json", "geojson": "application/geo+json", "csv": "text/csv; charset=utf-8"}
CACHE = "public, max-age=60, stale-while-revalidate=300"
CSV_COLUMNS = ("enterprise_number", "name", "street", "number", "postcode", "locality", "municipality", "lat", "lon",
               "categories", "phone", "email", "website", "webshop", "delivery", "pickup")
NIS = Annotated[str, Path(pattern=r"^\d{5}$", description="the NIS code")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the feed", "content": {"application/json": {}, "application/geo+json": {},
                                                 "text/csv": {}}},
    304: {"description": "not modified since the ETag or date the request names"},
    404: {"description": "no such municipality or province", "content": {"application/problem+json": {}}},
    422: {"description": "invalid parameter", "content": {"application/problem+json": {}}},
    503: {"description": "the index is being rebuilt or cannot be reached (Retry-After)",
          "content": {"application/problem+json": {}}},
}
IfNoneMatch = Annotated[str | None, Header()]
IfModifiedSince = Annotated[str | None, Header()]


@router.get("/municipalities/{nis}.{fmt}", summary="A municipality's feed", responses=RESPONSES)
async def municipality_feed(request: Request, nis: NIS, fmt: Format, if_none_match: IfNoneMatch = None,
                            if_modified_since: IfModifiedSince = None) -> Response:
    """The municipality's listings whose businesses consented to appear on municipal sites, by name."""
    if nis not in places.localities_of():
        return problem(404, "Not found", f"no municipality with NIS code {nis}", type_="/problems/not-found")
    about = {"municipality": {"nis": nis, "name": places.municipality_name(nis)}}
    return await _answer(request, [nis], about, fmt, if_none_match, if_modified_since)


@router.get("/provinces/{nis}.{fmt}", summary="A province's feed", responses=RESPONSES)
async def province_feed(request: Request, nis: NIS, fmt: Format, if_none_match: IfNoneMatch = None,
                        if_modified_since: IfModifiedSince = None) -> Response:
    """The feeds of the province's municipalities together (04000: the Brussels region's nineteen)."""
    municipalities = places.provinces().get(nis)
    if not municipalities:
        return problem(404, "Not found", f"no province with NIS code {nis}", type_="/problems/not-found")
    return await _answer(request, list(municipalities), {"province": {"nis": nis}}, fmt, if_none_match,
                         if_modified_since)


async def _answer(request: Request, municipalities: list[str], about: dict[str, Any], fmt: Format,
                  if_none_match: str | None, if_modified_since: str | None) -> Response:
    index: ListingIndex = request.app.state.index
    feed = await index.feed(municipalities)
    body = _body(feed, about, fmt)
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": CACHE, "Vary": "Accept-Encoding"}
    if feed.changed:
        headers["Last-Modified"] = format_datetime(datetime.fromtimestamp(feed.changed, UTC), usegmt=True)
    if _not_modified(tag, feed.changed, if_none_match, if_modified_since):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA[fmt], headers=headers)


def _not_modified(tag: str, changed: int, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 13.1: If-None-Match decides when present (weak comparison); else If-Modified-Since."""
    if if_none_match is not None:
        offered = {value.strip().removeprefix("W/") for value in if_none_match.split(",")}
        return "*" in offered or tag in offered
    if if_modified_since is None or not changed:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and changed <= since.timestamp()


def _body(feed: Feed, about: dict[str, Any], fmt: Format) -> bytes:
    if fmt == "csv":
        return _csv(feed.hits)
    if fmt == "geojson":
        features = [{"type": "Feature", "id": hit.enterprise_number,
                     "geometry": {"type": "Point", "coordinates": [hit.position.lon, hit.position.lat]},
                     "properties": hit.model_dump(mode="json", exclude={"position", "distance_km"})}
                    for hit in feed.hits]
        return json.dumps({"type": "FeatureCollection", **about, "features": features},
                          ensure_ascii=False).encode()
    listings = [hit.model_dump(mode="json", exclude={"distance_km"}) for hit in feed.hits]
    return json.dumps({**about, "count": len(listings), "listings": listings}, ensure_ascii=False).encode()


def _csv(hits: list[Hit]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        address, contact, channels = hit.address, hit.contact, hit.channels
        writer.writerow([hit.enterprise_number, hit.name, address.street, address.number, address.postcode,
                         address.locality or "", address.municipality, hit.position.lat, hit.position.lon,
                         ";".join(c.code for c in hit.categories), contact.phone or "", contact.email or "",
                         contact.website or "", channels.webshop or "", int(channels.delivery),
                         int(channels.pickup)])
    return out.getvalue().encode()
