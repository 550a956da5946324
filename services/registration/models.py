"""What partners post: strict input models (unknown fields rejected, lengths bounded), apart from wire events."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, UrlConstraints

from services.common.events import Weekday
from services.common.vocabulary import ConsentMethod, Reason, SubmissionStatus
from services.registration import examples

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Url = Annotated[HttpUrl, UrlConstraints(max_length=500, allowed_schemes=["http", "https"])]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
NumberText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Time = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")]
EvidenceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^@]+$")]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PositionIn(InputModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class AddressIn(InputModel):
    street: Text
    number: ShortText
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9]\d{3}$")]
    municipality: Text = Field(description="the place the postal address names: its postal locality (Sint-Amandsberg) "
                                           "or its municipality (Gent), in Dutch, French or German")


class ContactIn(InputModel):
    """Public contact details, shown in the listing."""

    phone: ShortText | None = None
    email: Email | None = None
    website: Url | None = None


class OpeningHoursIn(InputModel):
    day: Weekday
    opens: Time
    closes: Time


class ChannelsIn(InputModel):
    webshop: Url | None = None
    delivery: bool = False
    pickup: bool = False
    opening_hours: list[OpeningHoursIn] = Field(default_factory=list, max_length=21)


class PersonIn(InputModel):
    """The person who consented on behalf of the business; stored only encrypted, never listed."""

    name: Text
    email: Email
    role: Text | None = None


class ConsentIn(InputModel):
    purposes: list[ShortText] = Field(min_length=1, max_length=10, description="must include 'listing'")
    given_at: AwareDatetime
    notice_version: ShortText = Field(description="version of the privacy notice shown, e.g. '2020-04'")
    method: ConsentMethod = Field(description=(
        "how the person gave consent; only a clear affirmative act is consent: ticked-box, signed-form, double-opt-in, "
        "recorded-call, e-signature (pre-ticked, opt-out, implied and terms-acceptance are refused)"))
    evidence_ref: EvidenceRef = Field(description=(
        "where the partner keeps its own evidence of this consent, e.g. its form submission id (opaque; no personal "
        "data)"))
    language: Annotated[str, StringConstraints(pattern=r"^(nl|fr|de|en)$")]
    person: PersonIn


class VerificationIn(InputModel):
    method: ShortText = Field(description="what the partner checked, e.g. 'kbo-lookup', 'member-file'")
    verified_at: AwareDatetime


class RegistrationIn(InputModel):
    """The canonical registration a partner posts to ``POST /v1/registrations``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [examples.REGISTRATION]})

    enterprise_number: NumberText = Field(
        description="Belgian enterprise number in any common spelling: 'BE 0428.759.497', '0428 759 497'")
    establishment_unit: NumberText | None = Field(None, description="establishment unit number (starts with 2-8)")
    name: Text
    address: AddressIn
    position: PositionIn | None = Field(None, description="inside Belgium; derived from the postcode when absent")
    categories: list[ShortText] = Field(min_length=1, max_length=10)
    contact: ContactIn = ContactIn()
    channels: ChannelsIn = ChannelsIn()
    consent: ConsentIn
    verification: VerificationIn | None = None


class WithdrawalIn(InputModel):
    """A business withdraws its consent: ``POST /v1/withdrawals``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [examples.WITHDRAWAL]})

    enterprise_number: NumberText
    withdrawn_at: AwareDatetime


class ErasureIn(InputModel):
    """The consenting person asks for erasure of their data: ``POST /v1/erasure-requests``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [examples.ERASURE]})

    enterprise_number: NumberText
    requested_at: AwareDatetime


class Accepted(BaseModel):
    id: str
    status: Literal[SubmissionStatus.RECEIVED] = SubmissionStatus.RECEIVED
    received_at: datetime


class FindingOut(BaseModel):
    reason: Reason
    sentence: str


class KboSnapshotOut(BaseModel):
    extract_number: int
    snapshot_date: date | None


class SubmissionOut(BaseModel):
    """The status of one of the partner's own submissions."""

    id: str
    status: SubmissionStatus
    reasons: list[Reason]
    findings: list[FindingOut] = Field(description="each reason with a sentence saying what it means")
    kbo_snapshot: KboSnapshotOut | None = Field(None, description="the KBO extract a registration was checked "
                                                                  "against")
    enterprise_number: str
    updated_at: datetime


class BusinessSubmissionsOut(BaseModel):
    """The partner's own submissions about one business, latest first."""

    enterprise_number: str
    submissions: list[SubmissionOut]
