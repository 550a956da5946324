"""The consent policy as pure functions over the event and the business's consent state (reason codes, versioned).

Decisions follow event time, not arrival order: a withdrawal dated after the grant unlists; a grant dated before the
latest withdrawal (arriving late) does not relist; a withdrawal dated before the current grant changes nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.common.consent_rules import consent_findings
from services.common.events import (
    AnyPartnerEvent,
    ConsentWithdrawn,
    ErasureRequested,
    ExpiryCheck,
    RegistrationSubmitted,
    RequestRefused,
)
from services.common.vocabulary import KBO_ADVISORY, PLATFORM_ADMIN, EventType, Outcome, Reason

POLICY_VERSION = "2026-11.5"  # the versions and what each changed: docs/auditors.md


@dataclass(frozen=True, slots=True)  # one per business in the worker's memory: no per-instance __dict__
class ConsentState:
    """What the worker remembers per business (changelogged in consent.state, keyed by enterprise number)."""

    status: Literal["listed", "unlisted"]
    event_time: datetime  # time of the consent event that set the status (given_at, withdrawn_at, ...)
    given_at: datetime | None = None  # the consent behind the current listing


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    state: ConsentState | None  # the new state (None: unchanged)

    @property
    def listed(self) -> bool:
        return self.state is not None and self.state.status == "listed"


def decide(event: AnyPartnerEvent, state: ConsentState | None, now: datetime,
           allowed_events: Mapping[str, frozenset[EventType]], validity: timedelta,
           forwarders: frozenset[str] = frozenset(), unverified_lists: bool = True) -> Verdict:
    """``forwarders``: the partners that forwarded a registration of this business, the only ones (with the
    platform's operator) who may end its listing. ``unverified_lists``: whether a registration checked against no
    KBO snapshot is listed (with ``kbo_unverified``) or rejected."""
    if isinstance(event, ExpiryCheck):
        return _expiry(state, now, validity)
    if isinstance(event, RequestRefused):  # refused by the intake: recorded, nothing else
        return Verdict(Outcome.REJECTED, (event.reason,), None)
    if not _allowed(event, allowed_events):
        return Verdict(Outcome.REJECTED, (Reason.PARTNER_NOT_ALLOWED,), None)
    if isinstance(event, ConsentWithdrawn | ErasureRequested) and not _entitled(event.partner_id, forwarders):
        return Verdict(Outcome.REJECTED, (Reason.PARTNER_NOT_ENTITLED,), None)
    if isinstance(event, ConsentWithdrawn):
        return _unlist(Outcome.WITHDRAWN, Reason.CONSENT_WITHDRAWN, event.withdrawn_at, state)
    if isinstance(event, ErasureRequested):
        return Verdict(Outcome.ERASED, (Reason.ERASURE_REQUESTED,),
                       ConsentState("unlisted", max(event.requested_at, now)))
    return _registration(event, state, now, validity, unverified_lists)


def _allowed(event: AnyPartnerEvent, allowed_events: Mapping[str, frozenset[EventType]]) -> bool:
    if event.partner_id == PLATFORM_ADMIN:
        return isinstance(event, ConsentWithdrawn | ErasureRequested)
    return event.event_type in allowed_events.get(event.partner_id, frozenset())


def _entitled(partner_id: str, forwarders: frozenset[str]) -> bool:
    return partner_id == PLATFORM_ADMIN or partner_id in forwarders


def _registration(event: RegistrationSubmitted, state: ConsentState | None, now: datetime,
                  validity: timedelta, unverified_lists: bool) -> Verdict:
    """Approve only explicit consent for the purpose 'listing' with complete, current evidence, of an enterprise the
    KBO knows as active; what the KBO could not confirm is listed with its reasons (the partners check, as in 2020)."""
    if event.consent is None:
        return Verdict(Outcome.REJECTED, (Reason.CONSENT_MISSING,), None)
    findings = consent_findings(event.consent, now)
    if findings:
        return Verdict(Outcome.REJECTED, tuple(f.code for f in findings), None)
    given_at = event.consent.given_at
    if state is not None and state.status == "unlisted" and state.event_time >= given_at:
        return Verdict(Outcome.REJECTED, (Reason.SUPERSEDED_BY_LATER_WITHDRAWAL,), None)
    if given_at + validity <= now:
        return Verdict(Outcome.REJECTED, (Reason.CONSENT_EXPIRED,), None)
    kbo = event.kbo.findings if event.kbo is not None else (Reason.KBO_UNVERIFIED,)
    refused = [f for f in kbo if f not in KBO_ADVISORY or (f is Reason.KBO_UNVERIFIED and not unverified_lists)]
    if refused:
        return Verdict(Outcome.REJECTED, tuple(refused), None)
    return Verdict(Outcome.APPROVED, (Reason.EXPLICIT_CONSENT_LISTING, *kbo),
                   ConsentState("listed", given_at, given_at))


def _unlist(outcome: Outcome, reason: Reason, at: datetime, state: ConsentState | None) -> Verdict:
    if state is not None and state.status == "listed" and state.given_at is not None and at < state.given_at:
        return Verdict(Outcome.UNCHANGED, (Reason.WITHDRAWAL_PREDATES_CURRENT_CONSENT,), None)
    new_state = ConsentState("unlisted", at) if state is None or at >= state.event_time else replace(state)
    return Verdict(outcome, (reason,), new_state)


def _expiry(state: ConsentState | None, now: datetime, validity: timedelta) -> Verdict:
    if state is None or state.status != "listed" or state.given_at is None or state.given_at + validity > now:
        return Verdict(Outcome.UNCHANGED, (Reason.CONSENT_CURRENT,), None)
    return Verdict(Outcome.EXPIRED, (Reason.CONSENT_EXPIRED,), ConsentState("unlisted", state.given_at + validity))
