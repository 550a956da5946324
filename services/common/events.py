"""Wire events: what travels on Kafka between the services (pydantic v2, frozen, versioned).

Consumers ignore unknown fields (``extra="ignore"``) so producers can add fields without breaking them; what partners
post over HTTP is validated by the stricter input models of the registration service.
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.common.vocabulary import AuditEvent, EventType, Outcome, Reason

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EnterpriseNumber = Annotated[str, Field(pattern=r"^[01]\d{9}$", description="10 digits, normalised")]
Postcode = Annotated[str, Field(pattern=r"^[1-9]\d{3}$")]


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# Redis's geo index (Web Mercator) refuses latitudes beyond this: a listing there could never be indexed.
GEO_MAX_LAT = 85.05112878


class Position(WireModel):
    lat: float = Field(ge=-GEO_MAX_LAT, le=GEO_MAX_LAT)
    lon: float = Field(ge=-180, le=180)


class Address(WireModel):
    street: str
    number: str
    postcode: Postcode
    municipality: str = Field(description="the municipality (the canonical grouping)")
    locality: str | None = Field(None, description="the postal locality the address names (e.g. Sint-Amandsberg)")
    country: Literal["BE"] = "BE"


class PublicContact(WireModel):
    """Contact details the business agreed to publish in its listing."""

    phone: str | None = None
    email: str | None = None
    website: str | None = None


class ConsentingPerson(WireModel):
    """The natural person who gave consent on behalf of the business: personal data."""

    name: str
    email: str
    role: str | None = None


class SealedPerson(WireModel):
    """The consenting person sealed at intake to the consent worker's intake key (services/common/sealing.py)."""

    key_id: str = Field(description="which intake key it is sealed to (8 hex digits)")
    ephemeral: str = Field(description="base64 ephemeral X25519 public key")
    ciphertext: str = Field(description="base64 nonce and AES-256-GCM ciphertext of the ConsentingPerson JSON")


class ConsentEvidence(WireModel):
    """What demonstrates a consent (GDPR art. 7(1)): for which purposes, when, under which notice, how it was given
    (a ``vocabulary.ConsentMethod``; text on the wire so that an older value is decided, not dead-lettered), where the
    partner keeps its own evidence, in which language, by whom."""

    purposes: tuple[str, ...]
    given_at: datetime
    notice_version: str
    method: str
    language: str
    person: ConsentingPerson | None = Field(None, description="in clear: only in events from before 2026-11-28")
    person_sealed: SealedPerson | None = Field(None, description="the person, sealed at intake (never in clear)")
    evidence_ref: str | None = Field(None, description="the partner's own reference to its evidence (opaque)")


class OpeningHours(WireModel):
    day: Weekday
    opens: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")


class Channels(WireModel):
    """How shoppers can buy: a webshop, home delivery, pick-up, and when the shop is open."""

    webshop: str | None = None
    delivery: bool = False
    pickup: bool = False
    opening_hours: tuple[OpeningHours, ...] = ()


class Verification(WireModel):
    """What the partner checked about the business before forwarding it."""

    method: str
    verified_at: datetime


class Business(WireModel):
    enterprise_number: EnterpriseNumber
    establishment_unit: str | None = Field(None, pattern=r"^[2-8]\d{9}$")
    name: str
    address: Address
    position: Position
    categories: tuple[str, ...]
    contact: PublicContact = PublicContact()
    channels: Channels = Channels()


class Submitted(WireModel):
    """What every event on registrations.submitted carries (each adds its ``event_type`` and its own fields)."""

    schema_version: Literal[1] = 1
    event_id: UUID
    partner_id: str
    submitted_at: datetime


class AboutBusiness(Submitted):
    enterprise_number: EnterpriseNumber


class KboSnapshot(WireModel):
    """Which KBO/BCE Open Data extract is in force (``kbo.snapshots``, key ``snapshot``), written in the Kafka
    transaction that publishes it."""

    schema_version: Literal[1] = 1
    extract_number: int
    snapshot_date: date
    extract_timestamp: datetime
    extract_type: Literal["full", "update"]
    loaded_at: datetime


class KboCheck(WireModel):
    """What the intake found in the KBO snapshot about a registered business (stamped on the event it publishes):
    ``findings`` empty means active, at the claimed address, with an activity of a claimed category."""

    extract_number: int | None = Field(description="the snapshot checked against; None: none was loaded")
    snapshot_date: date | None
    findings: tuple[Reason, ...]
    juridical_situation: str | None = Field(None, description="the enterprise's KBO code, when it is refused")


class RegistrationSubmitted(Submitted):
    """A partner forwarded a business registration; consent decides whether it is listed."""

    event_type: Literal[EventType.REGISTRATION_SUBMITTED] = EventType.REGISTRATION_SUBMITTED
    business: Business
    consent: ConsentEvidence | None = None
    verification: Verification | None = None
    kbo: KboCheck | None = Field(None, description="the intake's KBO check (absent before 2026-11-28)")


class ConsentWithdrawn(AboutBusiness):
    """The business withdrew its consent to be listed: it must leave the directory."""

    event_type: Literal[EventType.CONSENT_WITHDRAWN] = EventType.CONSENT_WITHDRAWN
    withdrawn_at: datetime


class ErasureRequested(AboutBusiness):
    """The consenting person asks for erasure (GDPR art. 17): unlist and destroy their personal data."""

    event_type: Literal[EventType.ERASURE_REQUESTED] = EventType.ERASURE_REQUESTED
    requested_at: datetime


class ExpiryCheck(AboutBusiness):
    """Internal tick of the consent worker: has this business's consent expired? (Never sent by partners.)"""

    event_type: Literal[EventType.EXPIRY_CHECK] = EventType.EXPIRY_CHECK
    partner_id: Literal["buurt-consent"] = "buurt-consent"


class RequestRefused(AboutBusiness):
    """The intake refused a partner's request to end a listing (it never forwarded that business): the consent worker
    records the attempt in the audit log and acts on nothing."""

    event_type: Literal[EventType.REQUEST_REFUSED] = EventType.REQUEST_REFUSED
    requested: EventType
    reason: Reason


PartnerEvent = Annotated[RegistrationSubmitted | ConsentWithdrawn | ErasureRequested | ExpiryCheck | RequestRefused,
                         Field(discriminator="event_type")]
AnyPartnerEvent = RegistrationSubmitted | ConsentWithdrawn | ErasureRequested | ExpiryCheck | RequestRefused


class Decision(WireModel):
    """The consent worker's verdict on one input event, with reason codes."""

    schema_version: Literal[1] = 1
    event_id: UUID
    source_event_id: UUID
    partner_id: str
    enterprise_number: EnterpriseNumber
    outcome: Outcome
    reasons: tuple[Reason, ...]
    policy_version: str
    decided_at: datetime
    event_type: EventType | None = Field(None, description="the type of the event decided (absent before 2026-11-27)")
    kbo: KboCheck | None = Field(None, description="a registration's KBO check, as the intake stamped it")


class Listing(WireModel):
    """The public listing: value of the compacted ``listings`` topic (a tombstone means unlisted)."""

    schema_version: Literal[1] = 1
    enterprise_number: EnterpriseNumber
    name: str
    address: Address
    position: Position
    categories: tuple[str, ...]
    contact: PublicContact
    channels: Channels = Channels()
    partner_id: str
    listed_at: datetime
    purposes: tuple[str, ...] = Field(("listing",), description="the purposes consented to (vocabulary.Purpose): "
                                      "'municipal-sites' also puts the listing in its municipality's feeds")


class SearchPerformed(WireModel):
    """One search, anonymous (``search.performed``): where and what, never who. The place is the municipality (NIS
    code) and postcode searched around — never the position, the IP address or the user agent; words that could be
    personal data (with digits, or from a query holding an e-mail address or a phone number) are left out."""

    schema_version: Literal[1] = 1
    at: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    postcode: Postcode
    radius_km: float
    categories: tuple[str, ...] = Field((), description="the categories asked for, and those the words named")
    flags: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    results: int = Field(ge=0)
    page: int = Field(ge=1)


class DemandCount(WireModel):
    """One cell of the demand insights (``insights.demand``, compacted, keyed by the cell): the absolute count of a
    measure ('searches', 'zero', 'zero-word:<word>') in a window, municipality and category ('*': every search)."""

    schema_version: Literal[1] = 1
    granularity: Literal["hour", "day", "week"]
    window: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    category: str
    measure: str
    count: int = Field(ge=0)


class AuditRecord(WireModel):
    """One entry of the hash-chained consent log; never holds personal data in clear. A record's hash covers the
    fields of its own schema version (``AUDIT_FIELDS_SINCE``), so records written before a field was added verify."""

    schema_version: Literal[1, 2, 3] = 3
    record_id: UUID
    partition: int
    sequence: int
    prev_hash: str
    hash: str
    recorded_at: datetime
    source_event_id: UUID
    partner_id: str
    enterprise_number: EnterpriseNumber
    event_type: AuditEvent
    decision: Outcome
    reasons: tuple[Reason, ...]
    policy_version: str
    purposes: tuple[str, ...] = ()
    notice_version: str | None = None
    collection_method: str | None = None
    given_at: datetime | None = None
    language: str | None = None
    jurisdiction: str = "BE"
    controller: str = "buurt"
    subject_pii: str | None = Field(None, description="the consenting person, AES-GCM encrypted with the subject key")
    evidence_ref: str | None = Field(None, description="the partner's own reference to its evidence of the consent")
    kbo_extract: int | None = Field(None, description="the KBO snapshot a registration was checked against")
    kbo_snapshot_date: date | None = None


# schema version -> the fields it added to AuditRecord
AUDIT_FIELDS_SINCE = {2: frozenset({"evidence_ref"}), 3: frozenset({"kbo_extract", "kbo_snapshot_date"})}


class LogCheckpoint(WireModel):
    """A signed checkpoint of one partition of consent.audit (topic consent.audit.checkpoints, since 2026-11-28): the
    C2SP tlog-checkpoint note over the partition's Merkle tree, and the tree's right edge, from which the worker goes
    on after a restart without reading the partition again (trusted only when it hashes to the signed root)."""

    schema_version: Literal[2] = 2
    partition: int
    size: int
    note: str = Field(description="C2SP signed note: origin, tree size, root hash, chain head; Ed25519 signature")
    frontier: tuple[str, ...] = Field(description="base64 roots of the complete subtrees on the right edge")
    signed_at: datetime


class AuditCheckpoint(WireModel):
    """A signed statement of the chain head of one partition of consent.audit (before 2026-11-28; still verified)."""

    schema_version: Literal[1] = 1
    partition: int
    sequence: int
    hash: str
    signed_at: datetime
    public_key: str = Field(description="base64 raw Ed25519 public key")
    signature: str = Field(description="base64 Ed25519 signature over checkpoint_message(partition, sequence, hash)")


def checkpoint_message(partition: int, sequence: int, chain_hash: str) -> bytes:
    return f"buurt-audit-checkpoint\n{partition}\n{sequence}\n{chain_hash}".encode()


class KboAddress(WireModel):
    """An address of the enterprise (its seat) or of one of its establishments, as the KBO publishes it."""

    entity: str = Field(description="the enterprise or establishment number, 10 digits")
    type: str = Field(description="REGO (seat), BAET (establishment), ABBR (branch)")
    zipcode: str
    municipality_nl: str = ""
    municipality_fr: str = ""
    street_nl: str = ""
    street_fr: str = ""
    house_number: str = ""
    box: str = ""
    struck_off: date | None = None


class KboActivity(WireModel):
    entity: str
    group: str
    nace_version: str
    nace_code: str
    classification: str = Field(description="MAIN, SECO or ANCI")


class KboEnterprise(WireModel):
    """One enterprise of the KBO snapshot (``kbo.enterprises``, compacted, keyed by its normalised number; a tombstone:
    it left the open data). Only what the intake checks: no names, contacts or persons (purpose limitation)."""

    schema_version: Literal[1] = 1
    number: EnterpriseNumber
    status: str
    juridical_situation: str
    type_of_enterprise: str
    juridical_form: str = ""
    start_date: date | None = None
    establishments: tuple[str, ...] = Field((), description="its establishment unit numbers, 10 digits")
    addresses: tuple[KboAddress, ...] = ()
    activities: tuple[KboActivity, ...] = ()


class DeadLetter(WireModel):
    """An input record that could not be decoded, kept with the reason (value base64 in ``original``)."""

    schema_version: Literal[1] = 1
    source_topic: str
    source_partition: int
    source_offset: int
    reason: str
    original: str
    headers: dict[str, str] = {}
    failed_at: datetime


def enterprise_number_of(event: AnyPartnerEvent) -> str:
    """The subject of a partner event (and the Kafka key of everything it produces)."""
    if isinstance(event, RegistrationSubmitted):
        return event.business.enterprise_number
    return event.enterprise_number
