"""What valid consent evidence is: one set of rules, applied by the HTTP intake (as 422 errors) and by the consent
policy (as reason codes) so that events arriving over Kafka are held to the same standard."""

from dataclasses import dataclass
from datetime import datetime

from services.common.events import ConsentEvidence
from services.common.vocabulary import Reason

LISTING_PURPOSE = "listing"
# Versions of the privacy notice shown to businesses when they consented; a new notice is added here.
ACCEPTED_NOTICE_VERSIONS = frozenset({"2020-04", "2024-01", "2025-06"})
LANGUAGES = frozenset({"nl", "fr", "de", "en"})


@dataclass(frozen=True)
class Finding:
    pointer: str
    code: Reason
    message: str


def consent_findings(consent: ConsentEvidence, now: datetime) -> list[Finding]:
    """Everything wrong with the evidence; empty when it supports a listing."""
    findings = []
    if LISTING_PURPOSE not in consent.purposes:
        findings.append(Finding("/consent/purposes", Reason.PURPOSE_LISTING_MISSING,
                                "purposes must include 'listing': the business did not consent to be listed"))
    if consent.given_at > now:
        findings.append(Finding("/consent/given_at", Reason.CONSENT_IN_FUTURE, "given_at lies in the future"))
    if consent.notice_version not in ACCEPTED_NOTICE_VERSIONS:
        findings.append(Finding("/consent/notice_version", Reason.NOTICE_VERSION_UNKNOWN,
                                f"unknown notice_version; accepted: {', '.join(sorted(ACCEPTED_NOTICE_VERSIONS))}"))
    if not consent.method:
        findings.append(Finding("/consent/method", Reason.COLLECTION_METHOD_MISSING, "method is required"))
    if consent.language not in LANGUAGES:
        findings.append(Finding("/consent/language", Reason.LANGUAGE_MISSING, "language must be one of nl, fr, de, en"))
    return findings
