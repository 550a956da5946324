"""One sentence per reason code, for partners reading a submission's status (``GET /v1/registrations/{id}``) and for
the people they pass it on to. Exhaustive: mypy names a reason without a sentence."""

from typing import assert_never

from services.common.vocabulary import Reason


def sentence(reason: Reason) -> str:
    match reason:
        case Reason.EXPLICIT_CONSENT_LISTING:
            return "The business gave explicit consent to be listed: it is listed."
        case Reason.CONSENT_MISSING:
            return "No consent was sent with the registration."
        case Reason.CONSENT_NOT_AFFIRMATIVE:
            return "The consent was not given by a clear affirmative act (e.g. a pre-ticked box): it is not consent."
        case Reason.CONSENT_METHOD_UNKNOWN:
            return "The way the consent was given is not one buurt knows."
        case Reason.EVIDENCE_REFERENCE_MISSING:
            return "The partner's reference to its evidence of the consent is missing."
        case Reason.PURPOSE_LISTING_MISSING:
            return "The consent does not name the purpose 'listing'."
        case Reason.CONSENT_IN_FUTURE:
            return "The consent is dated in the future."
        case Reason.NOTICE_VERSION_UNKNOWN:
            return "The privacy notice version the consent refers to is not known."
        case Reason.COLLECTION_METHOD_MISSING:
            return "How the consent was collected is missing."
        case Reason.LANGUAGE_MISSING:
            return "The language the consent was given in is missing."
        case Reason.CONSENT_EXPIRED:
            return "The consent is older than its validity and was not renewed."
        case Reason.CONSENT_CURRENT:
            return "The consent is still valid: nothing changed."
        case Reason.SUPERSEDED_BY_LATER_WITHDRAWAL:
            return "The business withdrew its consent after the date of this consent: it stays unlisted."
        case Reason.CONSENT_WITHDRAWN:
            return "The business withdrew its consent: it left the directory."
        case Reason.WITHDRAWAL_PREDATES_CURRENT_CONSENT:
            return "The withdrawal is dated before the consent in force: the listing stays."
        case Reason.ERASURE_REQUESTED:
            return "Erasure was requested: the listing was removed and the person's data made unreadable."
        case Reason.PARTNER_NOT_ALLOWED:
            return "This partner may not send this kind of request."
        case Reason.PARTNER_NOT_ENTITLED:
            return "This partner never forwarded this business, so it may not end its listing."
        case Reason.KBO_NOT_ACTIVE:
            return ("The KBO/BCE open data has no active enterprise with this number (stopped, unknown, or in a "
                    "juridical situation such as bankruptcy or liquidation): not listed.")
        case Reason.ADDRESS_UNVERIFIED:
            return ("The KBO/BCE lists no establishment (or, for a company, no seat) of this enterprise at this "
                    "address: listed, but please check the address with the business.")
        case Reason.ACTIVITY_UNCONFIRMED:
            return ("None of the enterprise's activities in the KBO/BCE suggests the categories claimed: listed; "
                    "please check the categories.")
        case Reason.KBO_UNVERIFIED:
            return "No KBO/BCE snapshot was loaded when the registration arrived: it was not checked against the KBO."
        case _:
            assert_never(reason)
