"""Listings for the search tests (wire models, as the consent worker publishes them)."""

from datetime import UTC, datetime

from services.common.events import Address, Channels, Listing, Position, PublicContact


def listing(number: str, lat: float, lon: float, name: str = "Winkel", categories: tuple[str, ...] = ("speciaalzaak",),
            municipality: str = "Gent", postcode: str = "9000", channels: Channels | None = None) -> Listing:
    return Listing(enterprise_number=number, name=name, position=Position(lat=lat, lon=lon),
                   address=Address(street="Veldstraat", number="1", postcode=postcode, municipality=municipality),
                   categories=categories, contact=PublicContact(phone="+3292234567"),
                   channels=channels or Channels(), partner_id="unizo-winkelhier", listed_at=datetime.now(UTC))
