"""Audit records and their hash chain (the signed checkpoints over them: checkpoints.py).

Every record carries the hash of its predecessor in the same partition; ``hash`` is SHA-256 over the record's
canonical JSON without the ``hash`` field (ciphertext of personal data included, so erasure keeps the chain valid).
"""

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import assert_never

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from services.common import sealing
from services.common.events import (
    AUDIT_FIELDS_SINCE,
    AnyPartnerEvent,
    AuditRecord,
    RegistrationSubmitted,
    enterprise_number_of,
)
from services.common.vocabulary import AuditEvent, Outcome
from services.consent import crypto
from services.consent.policy import POLICY_VERSION, Verdict

GENESIS_HASH = "0" * 64
_RECORD_NAMESPACE = uuid.UUID("6f0c3a52-7e1b-4b53-9a55-2f1f8a2c9e10")


def audit_event_of(outcome: Outcome) -> AuditEvent:
    """The consent-receipt name of a decision in the audit log: the outcome's own word, but for the grant and the
    decision without effect."""
    match outcome:
        case Outcome.APPROVED:
            return AuditEvent.GRANTED
        case Outcome.UNCHANGED:
            return AuditEvent.IGNORED
        case Outcome.REJECTED | Outcome.WITHDRAWN | Outcome.ERASED | Outcome.EXPIRED:
            return AuditEvent(outcome.value)
        case _:
            assert_never(outcome)


def chain_hash(record: AuditRecord) -> str:
    """SHA-256 over the record's canonical JSON without ``hash`` and without the fields of later schema versions."""
    later = {name for version, names in AUDIT_FIELDS_SINCE.items() if version > record.schema_version for name in names}
    body = record.model_dump_json(exclude={"hash", *later}).encode()
    return hashlib.sha256(body).hexdigest()


def seal(record: AuditRecord) -> AuditRecord:
    return record.model_copy(update={"hash": chain_hash(record)})


def person_of(event: AnyPartnerEvent, intake_keys: Mapping[str, X25519PrivateKey]) -> bytes | None:
    """The consenting person's JSON: opened from its intake seal (raises SealError), or as an older event held it."""
    if not isinstance(event, RegistrationSubmitted) or event.consent is None:
        return None
    if event.consent.person_sealed is not None:
        return sealing.open_sealed(intake_keys, event.business.enterprise_number, event.consent.person_sealed)
    return event.consent.person.model_dump_json().encode() if event.consent.person is not None else None


def sealed_person(event: AnyPartnerEvent, person: bytes | None, data_key: bytes | None) -> str | None:
    """The consenting person's data, encrypted with the subject's key; None when there is none to record."""
    if person is None or data_key is None:
        return None
    return crypto.seal(data_key, enterprise_number_of(event), person)


def record_for(event: AnyPartnerEvent, verdict: Verdict, partition: int, sequence: int, prev_hash: str,
               now: datetime, subject_pii: str | None = None) -> AuditRecord:
    """The audit record of one decision; personal data only as ``subject_pii`` ciphertext."""
    evidence = {}
    if isinstance(event, RegistrationSubmitted) and event.consent is not None:
        consent = event.consent
        evidence = {"purposes": consent.purposes, "notice_version": consent.notice_version,
                    "collection_method": consent.method, "given_at": consent.given_at, "language": consent.language,
                    "evidence_ref": consent.evidence_ref}
    if isinstance(event, RegistrationSubmitted) and event.kbo is not None:
        evidence |= {"kbo_extract": event.kbo.extract_number, "kbo_snapshot_date": event.kbo.snapshot_date}
    return seal(AuditRecord(
        record_id=uuid.uuid5(_RECORD_NAMESPACE, f"{event.event_id}"),
        partition=partition, sequence=sequence, prev_hash=prev_hash, hash="", recorded_at=now,
        source_event_id=event.event_id, partner_id=event.partner_id, enterprise_number=enterprise_number_of(event),
        event_type=audit_event_of(verdict.outcome), decision=verdict.outcome, reasons=verdict.reasons,
        policy_version=POLICY_VERSION, subject_pii=subject_pii, **evidence,
    ))
