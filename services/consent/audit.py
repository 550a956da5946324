"""Audit records and their hash chain: every record carries the hash of its predecessor in the same partition."""

import hashlib
import uuid
from datetime import datetime
from typing import Literal

from services.common.events import AnyPartnerEvent, AuditRecord, RegistrationSubmitted, enterprise_number_of
from services.consent.policy import POLICY_VERSION, Verdict

GENESIS_HASH = "0" * 64
_RECORD_NAMESPACE = uuid.UUID("6f0c3a52-7e1b-4b53-9a55-2f1f8a2c9e10")
_EVENT_TYPES: dict[str, Literal["granted", "rejected", "withdrawn", "erased"]] = {
    "approved": "granted", "rejected": "rejected", "withdrawn": "withdrawn", "erased": "erased"}


def chain_hash(record: AuditRecord) -> str:
    """SHA-256 over the canonical JSON of every field except ``hash`` itself (prev_hash included)."""
    body = record.model_dump_json(exclude={"hash"}).encode()
    return hashlib.sha256(body).hexdigest()


def seal(record: AuditRecord) -> AuditRecord:
    return record.model_copy(update={"hash": chain_hash(record)})


def record_for(event: AnyPartnerEvent, verdict: Verdict, partition: int, sequence: int,
               prev_hash: str, now: datetime) -> AuditRecord:
    """The audit record of one decision; the consenting person's data stays out of it."""
    evidence = {}
    if isinstance(event, RegistrationSubmitted) and event.consent is not None:
        consent = event.consent
        evidence = {"purposes": consent.purposes, "notice_version": consent.notice_version,
                    "collection_method": consent.method, "given_at": consent.given_at, "language": consent.language}
    return seal(AuditRecord(
        record_id=uuid.uuid5(_RECORD_NAMESPACE, str(event.event_id)),
        partition=partition, sequence=sequence, prev_hash=prev_hash, hash="", recorded_at=now,
        source_event_id=event.event_id, partner_id=event.partner_id, enterprise_number=enterprise_number_of(event),
        event_type=_EVENT_TYPES[verdict.outcome], decision=verdict.outcome, reasons=verdict.reasons,
        policy_version=POLICY_VERSION, **evidence,
    ))
