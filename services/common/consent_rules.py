"""What valid consent evidence is: one set of rules, applied by the intake (as 422 errors naming the field and the
reason code) and by the consent policy (as the decision's reason codes), so every path is held to one standard:
consent for the purpose 'listing', given by a clear affirmative act (``vocabulary.AFFIRMATIVE``), under a notice
version in force, with a reference to the partner's own evidence."""

from dataclasses import dataclass
from datetime import datetime

from services.common.events import ConsentEvidence
from services.common.vocabulary import AFFIRMATIVE, ConsentMethod, Purpose, Reason

LISTING_PURPOSE = Purpose.LISTING
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
    findings += _method_findings(consent.method)
    if not consent.evidence_ref:
        findings.append(Finding("/consent/evidence_ref", Reason.EVIDENCE_REFERENCE_MISSING,
                                "evidence_ref is required: where the partner keeps its own evidence of this consent "
                                "(e.g. its form submission id), so that it can be demonstrated (GDPR art. 7(1))"))
    if consent.language not in LANGUAGES:
        findings.append(Finding("/consent/language", Reason.LANGUAGE_MISSING, "language must be one of nl, fr, de, en"))
    return findings


def _method_findings(method: str) -> list[Finding]:
    if not method:
        return [Finding("/consent/method", Reason.COLLECTION_METHOD_MISSING, "method is required")]
    if method not in {m.value for m in ConsentMethod}:
        return [Finding("/consent/method", Reason.CONSENT_METHOD_UNKNOWN,
                        f"unknown consent method; use one of {', '.join(sorted(AFFIRMATIVE))}")]
    if ConsentMethod(method) not in AFFIRMATIVE:
        return [Finding("/consent/method", Reason.CONSENT_NOT_AFFIRMATIVE,
                        f"'{method}' is not consent: only a clear affirmative act of the person is (GDPR art. 4(11) "
                        f"and recital 32; a pre-ticked box is not, CJEU C-673/17 Planet49)")]
    return []
