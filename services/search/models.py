"""What the search API answers: public response models, kept apart from the wire events (services/common/events.py)
so that a change on Kafka is never silently a change of the public API; ``hit()`` maps one to the other."""

from typing import Literal

from pydantic import BaseModel, Field

from services.common.categories import CATEGORIES
from services.common.events import Listing
from services.common.places import Locality


class CategoryOut(BaseModel):
    code: str
    labels: dict[str, str] = Field(description="Dutch and French labels")


class AddressOut(BaseModel):
    street: str
    number: str
    postcode: str
    locality: str | None = Field(None, description="the postal locality (e.g. Sint-Amandsberg)")
    municipality: str


class PositionOut(BaseModel):
    lat: float
    lon: float


class ContactOut(BaseModel):
    phone: str | None = None
    email: str | None = None
    website: str | None = None


class OpeningHoursOut(BaseModel):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    opens: str
    closes: str


class ChannelsOut(BaseModel):
    webshop: str | None = None
    delivery: bool = False
    pickup: bool = False
    opening_hours: list[OpeningHoursOut] = []


class Hit(BaseModel):
    enterprise_number: str
    name: str
    address: AddressOut
    position: PositionOut
    categories: list[CategoryOut]
    contact: ContactOut
    channels: ChannelsOut
    source_partner: str
    distance_km: float


class PlaceOut(BaseModel):
    """The place a search is about, as the service understood it."""

    label: str
    postcode: str
    locality: str
    municipality: str
    lat: float
    lon: float


class SearchResults(BaseModel):
    total: int
    page: int
    size: int
    results: list[Hit]
    place: PlaceOut | None = Field(None, description="the named place searched around, as understood")
    alternatives: list[PlaceOut] = Field([], description="other places the name could mean (give a postcode)")


class Suggestions(BaseModel):
    names: list[str]
    places: list[str]
    categories: list[str]


class CategoryCount(CategoryOut):
    count: int


def category(code: str) -> CategoryOut:
    return CategoryOut(code=code, labels=dict(CATEGORIES.get(code, {"nl": code, "fr": code})))


def hit(listing: Listing, distance_km: float) -> Hit:
    address, contact, channels = listing.address, listing.contact, listing.channels
    return Hit(
        enterprise_number=listing.enterprise_number, name=listing.name,
        address=AddressOut(street=address.street, number=address.number, postcode=address.postcode,
                           locality=address.locality, municipality=address.municipality),
        position=PositionOut(lat=listing.position.lat, lon=listing.position.lon),
        categories=[category(c) for c in listing.categories],
        contact=ContactOut(phone=contact.phone, email=contact.email, website=contact.website),
        channels=ChannelsOut(webshop=channels.webshop, delivery=channels.delivery, pickup=channels.pickup,
                             opening_hours=[OpeningHoursOut(day=h.day, opens=h.opens, closes=h.closes)
                                            for h in channels.opening_hours]),
        source_partner=listing.partner_id, distance_km=round(distance_km, 4))


def place_out(place: Locality) -> PlaceOut:
    return PlaceOut(label=place.label, postcode=place.postcode, locality=place.name,
                    municipality=place.municipality.name, lat=place.lat, lon=place.lon)
