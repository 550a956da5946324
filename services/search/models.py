"""What the search API answers: public response models, kept apart from the wire events (services/common/events.py)
so that a change on Kafka is never silently a change of the public API; ``hit()`` maps one to the other."""

from pydantic import BaseModel, Field

from services.common.categories import CATEGORIES
from services.common.events import Listing, Weekday
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
    """How to reach the business: only what it agreed to publish."""

    phone: str | None = Field(None, description="E.164, e.g. +3292234567")
    email: str | None = Field(None, description="the business's public address")
    website: str | None = Field(None, description="http(s) URL")


class OpeningHoursOut(BaseModel):
    day: Weekday = Field(description="mon … sun")
    opens: str = Field(description="HH:MM, local time")
    closes: str = Field(description="HH:MM, local time (24:00 is midnight)")


class ChannelsOut(BaseModel):
    """How shoppers can buy."""

    webshop: str | None = Field(None, description="URL of its webshop")
    delivery: bool = Field(False, description="delivers at home")
    pickup: bool = Field(False, description="orders can be picked up")
    opening_hours: list[OpeningHoursOut] = Field([], description="when the shop is open")


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


class Facets(BaseModel):
    categories: dict[str, int] = Field(description="matches per category code (those with none left out)")
    channels: dict[str, int] = Field(description="matches with delivery, pick-up, a webshop")


class SearchResults(BaseModel):
    total: int = Field(description="every match within the radius; an estimate when total_exact is false")
    total_exact: bool = Field(description=(
        "false when the search stopped once its page was complete (many matches): total is then estimated from "
        "how many lay within the distance searched; ask exact_total=true for the count"))
    page: int
    size: int
    results: list[Hit]
    facets: Facets | None = Field(None, description="with facets=true: every match counted per category and channel")
    place: PlaceOut | None = Field(None, description="the named place searched around, as understood")
    alternatives: list[PlaceOut] = Field([], description="other places the name could mean (give a postcode)")
    ignored_words: list[str] = Field([], description=(
        "typed words the search left out: words like 'in' or 'à', and words no listing can match ('verse' in "
        "'verse vis'), unless no other word was typed"))


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
