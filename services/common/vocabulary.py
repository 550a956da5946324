"""The platform's one vocabulary: event types, decision outcomes, reason codes, partner-visible statuses and audit
event names. Every other module derives from these enums; every mapping over them is an exhaustive ``match`` ending
in ``assert_never``, so mypy names the consumer that forgot a member.

Values are on the wire and in the audit log, which auditors replay for years: a member may be added, never renamed
or removed.
"""

from enum import StrEnum
from typing import assert_never


class Purpose(StrEnum):
    """What a business consents to. ``listing`` is required to be listed at all; ``municipal-sites`` also puts the
    listing in the feeds of its municipality and province, which municipal sites embed (services/search/feeds.py):
    a listing without it never appears there (purpose limitation, enforced where the feed is read)."""

    LISTING = "listing"
    MUNICIPAL_SITES = "municipal-sites"


class EventType(StrEnum):
    """What arrives on ``registrations.submitted``."""

    REGISTRATION_SUBMITTED = "registration.submitted"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    ERASURE_REQUESTED = "erasure.requested"
    EXPIRY_CHECK = "consent.expiry-check"  # the consent worker's own tick, never sent by a partner
    REQUEST_REFUSED = "request.refused"  # the intake refused a partner's request: recorded, never acted on


PLATFORM_ADMIN = "platform-admin"  # the requester of an erasure the platform's DPO sends with the admin token
PARTNER_EVENT_TYPES = (EventType.REGISTRATION_SUBMITTED, EventType.CONSENT_WITHDRAWN, EventType.ERASURE_REQUESTED)


def cloudevent_type(event_type: EventType) -> str:
    """The CloudEvents ``type`` of a partner event type: ``be.buurt.<event type>.v1``."""
    return f"be.buurt.{event_type.value}.v1"


class Outcome(StrEnum):
    """The consent worker's verdict on one event (``registrations.decisions``)."""

    APPROVED = "approved"  # listed
    REJECTED = "rejected"  # not listed; the reasons say why
    WITHDRAWN = "withdrawn"  # unlisted on the business's withdrawal
    ERASED = "erased"  # unlisted and the consenting person's data key destroyed
    EXPIRED = "expired"  # unlisted: the consent outlived its validity without renewal
    UNCHANGED = "unchanged"  # decided, without effect (e.g. a withdrawal dated before the current consent)


class ConsentMethod(StrEnum):
    """How the person gave consent (``consent.method``). Only a clear affirmative act of the person is consent (GDPR
    art. 4(11) and recital 32; CJEU C-673/17 *Planet49*: a pre-ticked box is not); see ``AFFIRMATIVE``."""

    TICKED_BOX = "ticked-box"  # ticked an unticked box themselves on a web form
    SIGNED_FORM = "signed-form"  # signed a paper form
    DOUBLE_OPT_IN = "double-opt-in"  # confirmed through the link in an e-mail sent to them
    RECORDED_CALL = "recorded-call"  # said yes in a recorded phone call
    E_SIGNATURE = "e-signature"  # signed electronically (eID, itsme)
    PRE_TICKED = "pre-ticked"  # left a box ticked in advance: not consent
    OPT_OUT = "opt-out"  # did not object: not consent
    IMPLIED = "implied"  # inferred from conduct or silence: not consent
    TERMS_ACCEPTANCE = "terms-acceptance"  # accepted general terms that include it: not specific, not consent


AFFIRMATIVE = frozenset({ConsentMethod.TICKED_BOX, ConsentMethod.SIGNED_FORM, ConsentMethod.DOUBLE_OPT_IN,
                         ConsentMethod.RECORDED_CALL, ConsentMethod.E_SIGNATURE})
# How partners' spreadsheets and forms say it, in Dutch and French (the CSV adapter reads these too).
METHOD_LABELS = {
    ConsentMethod.TICKED_BOX: {"nl": "zelf aangevinkt", "fr": "case cochée"},
    ConsentMethod.SIGNED_FORM: {"nl": "ondertekend formulier", "fr": "formulaire signé"},
    ConsentMethod.DOUBLE_OPT_IN: {"nl": "bevestigd per e-mail", "fr": "confirmé par e-mail"},
    ConsentMethod.RECORDED_CALL: {"nl": "opgenomen telefoongesprek", "fr": "appel enregistré"},
    ConsentMethod.E_SIGNATURE: {"nl": "elektronische handtekening", "fr": "signature électronique"},
    ConsentMethod.PRE_TICKED: {"nl": "vooraf aangevinkt", "fr": "case pré-cochée"},
    ConsentMethod.OPT_OUT: {"nl": "geen bezwaar gemaakt", "fr": "pas d'opposition"},
    ConsentMethod.IMPLIED: {"nl": "stilzwijgend", "fr": "tacite"},
    ConsentMethod.TERMS_ACCEPTANCE: {"nl": "algemene voorwaarden", "fr": "conditions générales"},
}


class Reason(StrEnum):
    """Reason codes of decisions (and of the consent rules the HTTP intake applies as 422 errors)."""

    EXPLICIT_CONSENT_LISTING = "explicit_consent_listing"
    CONSENT_MISSING = "consent_missing"
    CONSENT_NOT_AFFIRMATIVE = "consent_not_affirmative"
    CONSENT_METHOD_UNKNOWN = "consent_method_unknown"
    EVIDENCE_REFERENCE_MISSING = "evidence_reference_missing"
    PURPOSE_LISTING_MISSING = "purpose_listing_missing"
    CONSENT_IN_FUTURE = "consent_in_future"
    NOTICE_VERSION_UNKNOWN = "notice_version_unknown"
    COLLECTION_METHOD_MISSING = "collection_method_missing"
    LANGUAGE_MISSING = "language_missing"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_CURRENT = "consent_current"
    SUPERSEDED_BY_LATER_WITHDRAWAL = "superseded_by_later_withdrawal"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    WITHDRAWAL_PREDATES_CURRENT_CONSENT = "withdrawal_predates_current_consent"
    ERASURE_REQUESTED = "erasure_requested"
    PARTNER_NOT_ALLOWED = "partner_not_allowed"  # the partner may not send this event type at all
    PARTNER_NOT_ENTITLED = "partner_not_entitled"  # it may, but never forwarded this business
    # What the KBO/BCE open data says of a registered business (services/kbo/verify.py; policy: docs/kbo.md)
    KBO_NOT_ACTIVE = "kbo_not_active"  # not in the loaded snapshot (only active entities are), or not trading
    ADDRESS_UNVERIFIED = "address_unverified"  # no establishment (or seat) of the enterprise at the claimed address
    ACTIVITY_UNCONFIRMED = "activity_unconfirmed"  # none of its NACE activities suggests a claimed category
    KBO_UNVERIFIED = "kbo_unverified"  # no KBO snapshot was loaded when the registration arrived


KBO_ADVISORY = frozenset({Reason.ADDRESS_UNVERIFIED, Reason.ACTIVITY_UNCONFIRMED, Reason.KBO_UNVERIFIED})
"""The KBO findings a listing carries (shown to its partner) without being refused."""


class SubmissionStatus(StrEnum):
    """What a partner reads about one of its submissions (``GET /v1/registrations/{id}``)."""

    RECEIVED = "received"  # durably accepted, not decided yet
    LISTED = "listed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    EXPIRED = "expired"
    UNCHANGED = "unchanged"  # decided without effect; the reasons say why


class ItemStatus(StrEnum):
    """The result of one item of a bulk request (batch, CloudEvents batch, CSV upload)."""

    ACCEPTED = "accepted"  # durably in Kafka, with its id
    REJECTED = "rejected"  # invalid; the errors say why
    UNAVAILABLE = "unavailable"  # the event log failed: retry this item


class AuditEvent(StrEnum):
    """The ``event_type`` of an audit record, in the vocabulary of consent receipts."""

    GRANTED = "granted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ERASED = "erased"
    IGNORED = "ignored"


class ListingEffect(StrEnum):
    """What a decision does to the business's listing."""

    LISTS = "lists"
    UNLISTS = "unlists"
    NONE = "none"


def listing_effect(outcome: Outcome) -> ListingEffect:
    """The one place that says which outcomes list and unlist (the auditors' replay and the tests rely on it)."""
    match outcome:
        case Outcome.APPROVED:
            return ListingEffect.LISTS
        case Outcome.WITHDRAWN | Outcome.ERASED | Outcome.EXPIRED:
            return ListingEffect.UNLISTS
        case Outcome.REJECTED | Outcome.UNCHANGED:
            return ListingEffect.NONE
        case _:
            assert_never(outcome)
