"""What partners post: strict input models (unknown fields rejected, lengths bounded), apart from wire events."""

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionIn(InputModel):
    lat: float = Field(ge=49.4, le=51.6, description="inside Belgium's bounding box")
    lon: float = Field(ge=2.5, le=6.5, description="inside Belgium's bounding box")


class AddressIn(InputModel):
    street: Text
    number: ShortText
    postcode: Annotated[str, StringConstraints(pattern=r"^[1-9]\d{3}$")]
    municipality: Text


class ContactIn(InputModel):
    phone: ShortText | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = None


class PersonIn(InputModel):
    name: Text
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    role: Text | None = None


class ConsentIn(InputModel):
    purposes: list[ShortText] = Field(max_length=10, description="must include 'listing' to be listed")
    given_at: AwareDatetime
    notice_version: ShortText
    method: ShortText
    language: Annotated[str, StringConstraints(pattern=r"^(nl|fr|de|en)$")]
    person: PersonIn


class RegistrationIn(InputModel):
    """The canonical registration a partner posts to ``POST /v1/registrations``."""

    enterprise_number: Annotated[str, StringConstraints(max_length=20)] = Field(
        description="Belgian enterprise number in any common spelling: 'BE 0428.759.497', '0428 759 497'")
    name: Text
    address: AddressIn
    position: PositionIn
    categories: list[ShortText] = Field(min_length=1, max_length=10)
    contact: ContactIn = ContactIn()
    consent: ConsentIn


class Accepted(BaseModel):
    id: str
    status: str = "received"
    received_at: datetime


class WithdrawalIn(InputModel):
    """A business withdraws its consent: ``POST /v1/withdrawals``."""

    enterprise_number: Annotated[str, StringConstraints(max_length=20)]
    withdrawn_at: AwareDatetime
