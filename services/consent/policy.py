"""The consent policy as pure functions: which events list or unlist a business, and why (reason codes)."""

from dataclasses import dataclass

from services.common.events import ConsentWithdrawn, Outcome, RegistrationSubmitted

POLICY_VERSION = "2026-11.1"
LISTING_PURPOSE = "listing"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: tuple[str, ...]


def decide(event: RegistrationSubmitted | ConsentWithdrawn) -> Verdict:
    if isinstance(event, ConsentWithdrawn):
        return Verdict("withdrawn", ("consent_withdrawn",))
    return decide_registration(event)


def decide_registration(event: RegistrationSubmitted) -> Verdict:
    """Approve only explicit consent for the purpose 'listing' with complete evidence."""
    consent = event.consent
    if consent is None:
        return Verdict("rejected", ("consent_missing",))
    reasons = []
    if LISTING_PURPOSE not in consent.purposes:
        reasons.append("purpose_listing_missing")
    if not consent.notice_version:
        reasons.append("notice_version_missing")
    if not consent.method:
        reasons.append("collection_method_missing")
    if reasons:
        return Verdict("rejected", tuple(reasons))
    return Verdict("approved", ("explicit_consent_listing",))
