"""Consent receipts: what one business consented to, as the consent log recorded it, with the proof that those records
are in the log — verifiable offline by anyone who holds the log's public key.

The shape follows ISO/IEC TS 27560 and the Kantara Consent Receipt v1.1 (controller, jurisdiction, the principal by
reference, purposes, time and method of collection, notice, the state of the consent) with buurt's decision added
(outcome, reasons, policy version). The receipt's statements are derived from the records it carries, so a verifier
recomputes them and refuses a receipt whose words differ from its records; each record comes with its RFC 9162
inclusion proof to a checkpoint signed as a C2SP note.
"""

import base64
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, ValidationError

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topic_reader import RawRecord
from services.common.vocabulary import AuditEvent, ListingEffect, Outcome, listing_effect
from services.consent.audit import chain_hash
from services.consent.checkpoints import Signed, open_checkpoint
from services.consent.merkle import leaf_hash, root_from_inclusion
from services.consent.note import NoteError, Verifier, cosignatures

if TYPE_CHECKING:
    from services.consent.proofs import Planned

ERASED, SEALED = "[erased]", "[sealed]"
_RECEIPT_NAMESPACE = uuid.UUID("4f7d2c1e-9a3b-4e8d-b6c5-0a1f2e3d4c5b")


class ProvenRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record: str  # the audit record exactly as the log holds it (its bytes are the tree's leaf)
    partition: int
    offset: int
    index: int
    inclusion: tuple[str, ...]  # base64 hashes of the audit path


class Receipt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal["buurt-consent-receipt/1"] = "buurt-consent-receipt/1"
    receipt_id: uuid.UUID
    issued_at: datetime
    state_at: datetime
    statements: dict[str, Any]
    person: Any  # [sealed] (a reference: the ciphertext is in the record), [erased], or the person in clear
    records: tuple[ProvenRecord, ...]
    checkpoint: str  # the signed note the proofs lead to


def statements(records: Sequence[events.AuditRecord], at: datetime) -> dict[str, Any]:
    """What the records say about the consent at ``at``: derived, never stated independently."""
    upto = [r for r in records if r.recorded_at <= at]
    if not upto:
        raise ValueError("no audit record of this business at that time")
    last = upto[-1]
    consents = [r for r in upto if r.event_type in (AuditEvent.GRANTED, AuditEvent.REJECTED) and r.purposes]
    consent = consents[-1] if consents else None
    return {
        "controller": last.controller, "jurisdiction": last.jurisdiction,
        "enterprise_number": last.enterprise_number, "listed": _listed(upto),
        "last_event": {"event": last.event_type.value, "outcome": last.decision.value,
                       "reasons": [r.value for r in last.reasons], "partner": last.partner_id,
                       "policy_version": last.policy_version, "recorded_at": last.recorded_at.isoformat()},
        "consent": None if consent is None else {
            "partner": consent.partner_id, "purposes": list(consent.purposes),
            "given_at": consent.given_at.isoformat() if consent.given_at else None,
            "collection_method": consent.collection_method, "notice_version": consent.notice_version,
            "language": consent.language, "evidence_ref": consent.evidence_ref,
            "decision": consent.decision.value, "reasons": [r.value for r in consent.reasons],
            "policy_version": consent.policy_version, "recorded_at": consent.recorded_at.isoformat(),
            "kbo_extract": consent.kbo_extract},
        "erased": any(r.decision is Outcome.ERASED for r in records),
    }


def _listed(records: Sequence[events.AuditRecord]) -> bool:
    listed = False
    for record in records:
        match listing_effect(record.decision):
            case ListingEffect.LISTS:
                listed = True
            case ListingEffect.UNLISTS:
                listed = False
            case ListingEffect.NONE:
                pass
            case _:
                assert_never(listing_effect(record.decision))
    return listed


class RecordGone(LookupError):
    """A record the proof index places in the log is no longer there (the log lost a prefix): verify says more."""


def assemble(planned: "Planned", stored: Mapping[tuple[int, int], RawRecord],
             partner: str | None = None) -> list[tuple[ProvenRecord, events.AuditRecord]]:
    """The planned records, read from the log, with their proofs; only ``partner``'s when given (a partner sees its
    own records only)."""
    proven = []
    for place, path in planned.places:
        raw = stored.get((place.partition, place.offset))
        if raw is None or raw.offset != place.offset or raw.value is None:
            raise RecordGone(f"partition {place.partition} offset {place.offset}: the record is gone from the log")
        record = codec.decode(events.AuditRecord, raw.value)
        if partner is None or record.partner_id == partner:
            proven.append((ProvenRecord(record=raw.value.decode(), partition=place.partition, offset=place.offset,
                                        index=place.index, inclusion=tuple(base64.b64encode(h).decode() for h in path)),
                           record))
    return proven


def issue(records: Sequence[tuple[ProvenRecord, events.AuditRecord]], checkpoint: str, at: datetime, now: datetime,
          person: Any) -> Receipt:
    said = statements([record for _, record in records], at)
    if said["erased"]:
        person = ERASED
    ids = ",".join(str(record.record_id) for _, record in records)
    return Receipt(receipt_id=uuid.uuid5(_RECEIPT_NAMESPACE, f"{ids}|{at.isoformat()}|{checkpoint}"),
                   issued_at=now, state_at=at, statements=said, person=person,
                   records=tuple(proven for proven, _ in records), checkpoint=checkpoint)


class ReceiptInvalid(ValueError):
    """A receipt that does not verify; the message says why."""


def check(text: str | bytes, trusted: list[Verifier], witnesses: Sequence[Verifier] = ()) -> tuple[
        Receipt, Signed, dict[str, int]]:
    """The receipt, the checkpoint it is proven to and the witnesses that cosigned it; raises ReceiptInvalid."""
    try:
        receipt = Receipt.model_validate_json(text)
    except ValidationError as exc:
        raise ReceiptInvalid(f"not a consent receipt: {exc.errors()[0]['msg']} at "
                             f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}") from None
    if not receipt.records:
        raise ReceiptInvalid("the receipt carries no audit record")
    partition = receipt.records[0].partition
    try:
        signed = open_checkpoint(receipt.checkpoint, partition, trusted)
        seen = cosignatures(receipt.checkpoint, list(witnesses))
    except NoteError as exc:
        raise ReceiptInvalid(f"the checkpoint: {exc}") from None
    records = [_proven(proven, partition, signed) for proven in receipt.records]
    if statements(records, receipt.state_at) != receipt.statements:
        raise ReceiptInvalid("the receipt's statements are not what its records say")
    if receipt.person == ERASED and not receipt.statements["erased"]:
        raise ReceiptInvalid("the receipt says the person was erased; its records do not")
    return receipt, signed, seen


def _proven(proven: ProvenRecord, partition: int, signed: Signed) -> events.AuditRecord:
    where = f"record {proven.index} (partition {proven.partition}, offset {proven.offset})"
    try:
        record = codec.decode(events.AuditRecord, proven.record.encode())
        path = [base64.b64decode(h, validate=True) for h in proven.inclusion]
    except (DecodeError, ValueError) as exc:
        raise ReceiptInvalid(f"{where}: malformed ({exc})") from None
    if proven.partition != partition or record.partition != partition or record.sequence != proven.index:
        raise ReceiptInvalid(f"{where}: not where the receipt says it is")
    if chain_hash(record) != record.hash:
        raise ReceiptInvalid(f"{where}: altered (its content does not match its hash)")
    try:
        root = root_from_inclusion(leaf_hash(proven.record.encode()), proven.index, signed.size, path)
    except ValueError as exc:
        raise ReceiptInvalid(f"{where}: the inclusion proof is malformed ({exc})") from None
    if root != signed.root:
        raise ReceiptInvalid(f"{where}: not in the signed tree (its inclusion proof leads to another root)")
    return record
