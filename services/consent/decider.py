"""One input record in, the records it produces out: decode -> policy -> outputs, over one partition's state.

Pure apart from randomness (new data keys, nonces): no I/O. The worker sends the outputs in the partition's Kafka
transaction together with the input offset, so the decision, listing change, audit record, checkpoint and state
changes commit atomically or not at all. Each transaction that added audit records ends with a signed checkpoint of
the partition's tree (``checkpoint``): every committed record is covered by a signature the moment it is visible.
"""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from prometheus_client import Counter

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.dead_letters import dead_letter
from services.common.sealing import SealError
from services.common.topics import Topics
from services.common.vocabulary import EventType, Outcome, Purpose
from services.consent import audit, checkpoints, crypto
from services.consent.merkle import Frontier, leaf_hash
from services.consent.note import Signer
from services.consent.policy import POLICY_VERSION, ConsentState, Verdict, decide

DECISIONS = Counter("buurt_consent_decisions_total", "Decisions taken", ["outcome"])
DEAD_LETTERS = Counter("buurt_consent_dead_letters_total", "Input records sent to the DLQ")
_DECISION_NAMESPACE = uuid.UUID("0b8e7a4c-51f6-4c1e-8d3e-3f2c9b1a7d42")


@dataclass(frozen=True)
class Out:
    topic: str
    key: bytes
    value: bytes | None
    partition: int | None = None


@dataclass
class PartitionState:
    """What the worker keeps for one input partition, restored from the changelog topics on assignment."""

    partition: int
    states: dict[str, ConsentState] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # enterprise number -> wrapped data key
    forwarders: dict[str, frozenset[str]] = field(default_factory=dict)  # number -> partners that registered it
    head: tuple[int, str] = (-1, audit.GENESIS_HASH)  # sequence and hash of the last audit record
    tree: Frontier = field(default_factory=Frontier)  # the partition's Merkle tree (its right edge)
    signed: int = 0  # size of the tree at the last signed checkpoint


@dataclass(frozen=True)
class Decider:
    topics: Topics
    allowed_events: Mapping[str, frozenset[EventType]]
    validity: timedelta
    master_key: bytes
    signer: Signer  # signs the checkpoints
    unverified_lists: bool = True  # a registration no KBO snapshot was checked against is listed (kbo_unverified)
    intake_keys: Mapping[str, X25519PrivateKey] = field(default_factory=dict)  # opens persons sealed at intake

    def handle(self, part: PartitionState, record: "InputRecord", now: datetime) -> list[Out]:
        try:
            event = codec.decode_partner_event(record.value)
            person = audit.person_of(event, self.intake_keys)
        except (DecodeError, SealError) as exc:
            DEAD_LETTERS.inc()
            reason = exc.reason if isinstance(exc, DecodeError) else str(exc)
            letter = dead_letter(record.topic, record.partition, record.offset, record.value, record.headers,
                                 reason, now)
            return [Out(self.topics.dlq, record.key or b"", codec.encode(letter))]
        number = events.enterprise_number_of(event)
        verdict = decide(event, part.states.get(number), now, self.allowed_events, self.validity,
                         part.forwarders.get(number, frozenset()), self.unverified_lists)
        if isinstance(event, events.ExpiryCheck) and verdict.outcome is Outcome.UNCHANGED:
            return []  # a routine check that found nothing to do is not a decision
        DECISIONS.labels(verdict.outcome).inc()
        key = codec.key(number)
        outs = [Out(self.topics.decisions, key, codec.encode(_decision(event, number, verdict, now)))]
        outs += self._state_changes(part, event, number, verdict, now)
        outs += self._forwarder(part, event, number)
        outs += self._audit(part, event, number, verdict, now, person)
        return outs

    def _forwarder(self, part: PartitionState, event: events.AnyPartnerEvent, number: str) -> list[Out]:
        """A partner that forwards a registration of a business may later end its listing (whatever the decision)."""
        known = part.forwarders.get(number, frozenset())
        if not isinstance(event, events.RegistrationSubmitted) or event.partner_id in known:
            return []
        part.forwarders[number] = shared(known | {event.partner_id})
        return [Out(self.topics.forwarders, codec.key(number), dump_forwarders(part.forwarders[number]),
                    part.partition)]

    def _state_changes(self, part: PartitionState, event: events.AnyPartnerEvent, number: str, verdict: Verdict,
                       now: datetime) -> list[Out]:
        key, outs = codec.key(number), []
        if verdict.state is not None:
            part.states[number] = verdict.state
            outs.append(Out(self.topics.consent_state, key, _dump_state(verdict.state), part.partition))
            value = None  # a tombstone unlists
            if verdict.listed and isinstance(event, events.RegistrationSubmitted):
                value = codec.encode(_listing(event, now))
            outs.append(Out(self.topics.listings, key, value))
        if verdict.outcome is Outcome.ERASED and part.keys.pop(number, None) is not None:
            # crypto-shredding: the person's ciphertext in the audit log can no longer be opened
            outs.append(Out(self.topics.subject_keys, key, None, part.partition))
        return outs

    def _audit(self, part: PartitionState, event: events.AnyPartnerEvent, number: str, verdict: Verdict,
               now: datetime, person: bytes | None) -> list[Out]:
        outs, sealed = [], None
        if isinstance(event, events.RegistrationSubmitted) and event.consent is not None:
            data_key, new_wrapped = self._data_key(part, number)
            if new_wrapped is not None:
                outs.append(Out(self.topics.subject_keys, codec.key(number), new_wrapped.encode(),
                                part.partition))
            sealed = audit.sealed_person(event, person, data_key)
        sequence, prev_hash = part.head
        record = audit.record_for(event, verdict, part.partition, sequence + 1, prev_hash, now, sealed)
        value = codec.encode(record)
        part.head = (record.sequence, record.hash)
        part.tree.append(leaf_hash(value))  # the leaf is the bytes Kafka will hold
        outs.append(Out(self.topics.audit, codec.key(number), value, part.partition))
        return outs

    def checkpoint(self, part: PartitionState, now: datetime) -> Out | None:
        """The signed checkpoint that ends a transaction, when it added audit records to the partition."""
        if part.tree.size == part.signed:
            return None
        part.signed = part.tree.size
        signed = checkpoints.make(self.signer, part.partition, part.tree, part.head[1], now)
        return Out(self.topics.checkpoints, str(part.partition).encode(), codec.encode(signed), part.partition)

    def _data_key(self, part: PartitionState, number: str) -> tuple[bytes, str | None]:
        """The subject's data key, and its wrapped form when it was just created (to be stored)."""
        wrapped = part.keys.get(number)
        if wrapped is not None:
            return crypto.unwrap(self.master_key, wrapped), None
        data_key = crypto.new_data_key()
        part.keys[number] = crypto.wrap(self.master_key, data_key)
        return data_key, part.keys[number]

    def expired(self, part: PartitionState, now: datetime) -> list[str]:
        return [number for number, state in part.states.items()
                if state.status == "listed" and state.given_at and state.given_at + self.validity <= now]


@dataclass(frozen=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


def load_state(raw: bytes) -> ConsentState:
    data = json.loads(raw)
    event_time = datetime.fromisoformat(data["event_time"])
    given_at = datetime.fromisoformat(data["given_at"]) if data.get("given_at") else None
    return ConsentState(data["status"], event_time, event_time if given_at == event_time else given_at)


def dump_forwarders(partners: frozenset[str]) -> bytes:
    return json.dumps(sorted(partners)).encode()


def load_forwarders(raw: bytes) -> frozenset[str]:
    return shared(frozenset(json.loads(raw)))


_PARTNER_SETS: dict[frozenset[str], frozenset[str]] = {}


def shared(partners: frozenset[str]) -> frozenset[str]:
    """One object per distinct set of partners: a million businesses share a handful of sets (a set is 216 bytes).
    Bounded by the combinations of registered partners that actually forwarded the same business."""
    return _PARTNER_SETS.setdefault(partners, partners)


def _dump_state(state: ConsentState) -> bytes:
    return json.dumps({"status": state.status, "event_time": state.event_time.isoformat(),
                       "given_at": state.given_at.isoformat() if state.given_at else None}).encode()


def _decision(event: events.AnyPartnerEvent, number: str, verdict: Verdict, now: datetime) -> events.Decision:
    return events.Decision(
        event_id=uuid.uuid5(_DECISION_NAMESPACE, str(event.event_id)), source_event_id=event.event_id,
        partner_id=event.partner_id, enterprise_number=number,
        outcome=verdict.outcome, reasons=verdict.reasons, policy_version=POLICY_VERSION, decided_at=now,
        event_type=event.event_type, kbo=event.kbo if isinstance(event, events.RegistrationSubmitted) else None)


def _listing(event: events.RegistrationSubmitted, now: datetime) -> events.Listing:
    business = event.business
    return events.Listing(
        enterprise_number=business.enterprise_number, name=business.name, address=business.address,
        position=business.position, categories=business.categories, contact=business.contact,
        channels=business.channels, partner_id=event.partner_id, listed_at=now,
        purposes=tuple(purpose.value for purpose in Purpose if event.consent and purpose in event.consent.purposes))
