"""The consent policy as pure functions: which events list or unlist a business, and why (reason codes)."""

from dataclasses import dataclass
from datetime import datetime

from services.common.consent_rules import consent_findings
from services.common.events import AnyPartnerEvent, ConsentWithdrawn, ErasureRequested, Outcome, RegistrationSubmitted

POLICY_VERSION = "2026-11.2"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: tuple[str, ...]


def decide(event: AnyPartnerEvent, now: datetime) -> Verdict:
    if isinstance(event, ConsentWithdrawn):
        return Verdict("withdrawn", ("consent_withdrawn",))
    if isinstance(event, ErasureRequested):
        return Verdict("erased", ("erasure_requested",))
    return decide_registration(event, now)


def decide_registration(event: RegistrationSubmitted, now: datetime) -> Verdict:
    """Approve only explicit consent for the purpose 'listing' with complete evidence."""
    if event.consent is None:
        return Verdict("rejected", ("consent_missing",))
    findings = consent_findings(event.consent, now)
    if findings:
        return Verdict("rejected", tuple(f.code for f in findings))
    return Verdict("approved", ("explicit_consent_listing",))
