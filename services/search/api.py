"""HTTP edge of the search service: parse the query, ask the index, shape the response."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.common.events import Address, Position, PublicContact
from services.search.index import ListingIndex

router = APIRouter(prefix="/v1")


class Hit(BaseModel):
    enterprise_number: str
    name: str
    address: Address
    position: Position
    categories: list[str]
    contact: PublicContact
    source_partner: str
    distance_km: float


class SearchResults(BaseModel):
    total: int
    page: int
    size: int
    results: list[Hit]


def get_index(request: Request) -> ListingIndex:
    index: ListingIndex = request.app.state.index
    return index


IndexDep = Annotated[ListingIndex, Depends(get_index)]


@router.get("/search", response_model=SearchResults)
async def search(
    index: IndexDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_km: Annotated[float, Query(gt=0, le=50)] = 10,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    """Listings within radius_km of (lat, lon), nearest first."""
    near = await index.near(lat, lon, radius_km)
    window = near[(page - 1) * size: page * size]
    listings = await index.get_many([number for number, _ in window])
    hits = [
        Hit(enterprise_number=lst.enterprise_number, name=lst.name, address=lst.address, position=lst.position,
            categories=list(lst.categories), contact=lst.contact, source_partner=lst.partner_id,
            distance_km=round(dist, 3))
        for (_, dist), lst in zip(window, listings, strict=True) if lst is not None
    ]
    return SearchResults(total=len(near), page=page, size=size, results=hits)
