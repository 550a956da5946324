"""Thin stream loops: decode -> policy -> send decision, listing, audit record (and checkpoint) in one transaction.

Faust tables, changelogged in Kafka and committed in the same transaction as the outputs:
- ``consent-state``: per business, the consent state the policy decides against (event-time ordering);
- ``subject-keys``: per business, the consenting person's data key, wrapped by the master key (erasure deletes it);
- ``audit-heads``: per partition, the sequence and hash of the last audit record (the chain head).
"""

import base64
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import faust
from prometheus_client import Counter

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.partners import allowed_events
from services.common.topics import SUBJECT_KEYS_CONFIGS
from services.consent import audit, crypto
from services.consent.config import Settings
from services.consent.policy import POLICY_VERSION, ConsentState, Verdict, decide

logger = logging.getLogger(__name__)
DECISIONS = Counter("buurt_consent_decisions_total", "Decisions taken", ["outcome"])
DEAD_LETTERS = Counter("buurt_consent_dead_letters_total", "Input records sent to the DLQ")
_DECISION_NAMESPACE = uuid.UUID("0b8e7a4c-51f6-4c1e-8d3e-3f2c9b1a7d42")


def register(app: faust.App, settings: Settings) -> None:
    """Declare the topics, tables, agent and expiry timer of the consent worker."""
    topics = settings.topics

    def raw(name: str) -> faust.TopicT:
        return app.topic(name, key_serializer="raw", value_serializer="raw")

    source = raw(topics.submitted)
    worker = ConsentWorker(
        settings, raw(topics.decisions), raw(topics.listings), raw(topics.audit), raw(topics.checkpoints),
        raw(topics.dlq),
        app.Table("consent-state", key_type=str, value_type=dict),
        app.Table("subject-keys", key_type=str, value_type=str, extra_topic_configs=SUBJECT_KEYS_CONFIGS),
        app.Table("audit-heads", key_type=str, value_type=dict),
    )

    @app.agent(source, name="decide")
    async def decide_events(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await worker.handle(event)

    @app.timer(interval=settings.expiry_check_interval_s)
    async def check_expiry() -> None:
        """Ask, through the input topic, about every listed business this worker owns: the answer is decided
        (and audited) by the agent inside a transaction like any other event."""
        now = datetime.now(UTC)
        for number in worker.listed_expired_candidates(now):
            tick = events.ExpiryCheck(event_id=uuid.uuid4(), submitted_at=now, enterprise_number=number)
            await source.send(key=codec.key(number), value=codec.encode(tick))


class ConsentWorker:
    def __init__(self, settings: Settings, decisions: faust.TopicT, listings: faust.TopicT, audit_log: faust.TopicT,
                 checkpoints: faust.TopicT, dlq: faust.TopicT, states: Any, keys: Any, heads: Any) -> None:
        self.settings = settings
        self.decisions, self.listings, self.audit_log = decisions, listings, audit_log
        self.checkpoints, self.dlq = checkpoints, dlq
        self.states, self.keys, self.heads = states, keys, heads
        self.allowed = allowed_events(settings.partners_file)
        self.master_key = crypto.unb64(settings.master_key.get_secret_value())
        self.signing_key = crypto.signing_key(settings.signing_key.get_secret_value())

    async def handle(self, event: faust.EventT) -> None:
        message = event.message
        try:
            partner_event = codec.decode_partner_event(event.value)
        except DecodeError as exc:
            DEAD_LETTERS.inc()
            await self.dlq.send(key=event.key, value=codec.encode(_dead_letter(message, exc.reason)))
            return
        number = events.enterprise_number_of(partner_event)
        now = datetime.now(UTC)
        verdict = decide(partner_event, _load_state(self.states.get(number)), now, self.allowed,
                         self.settings.validity)
        if isinstance(partner_event, events.ExpiryCheck) and verdict.outcome == "unchanged":
            return  # a routine check that found nothing to do is not a decision
        await self._apply(partner_event, number, verdict, message.partition, now)

    async def _apply(self, event: events.AnyPartnerEvent, number: str, verdict: Verdict, partition: int,
                     now: datetime) -> None:
        key = codec.key(number)
        await self.decisions.send(key=key, value=codec.encode(_decision(event, number, verdict, now)))
        if verdict.state is not None:
            self.states[number] = _dump_state(verdict.state)
            if verdict.listed and isinstance(event, events.RegistrationSubmitted):
                await self.listings.send(key=key, value=codec.encode(_listing(event, now)))
            elif not verdict.listed:
                await self.listings.send(key=key, value=None)
        sealed = None
        if verdict.outcome == "erased":
            self.keys.pop(number, None)  # crypto-shredding: the ciphertext in the log can no longer be opened
        elif isinstance(event, events.RegistrationSubmitted):
            sealed = audit.sealed_person(event, self._data_key(number))
        await self._append_audit(key, event, verdict, partition, now, sealed)
        DECISIONS.labels(verdict.outcome).inc()
        logger.info("decided", extra={"event_id": str(event.event_id), "outcome": verdict.outcome,
                                      "reasons": list(verdict.reasons)})

    def _data_key(self, number: str) -> bytes:
        wrapped = self.keys.get(number)
        if wrapped is None:
            data_key = crypto.new_data_key()
            self.keys[number] = crypto.wrap(self.master_key, data_key)
            return data_key
        return crypto.unwrap(self.master_key, wrapped)

    async def _append_audit(self, key: bytes, event: events.AnyPartnerEvent, verdict: Verdict, partition: int,
                            now: datetime, sealed: str | None) -> None:
        """Chain the record to the head of the same partition, move the head, sign a checkpoint every N."""
        head = self.heads.get(str(partition)) or {"sequence": -1, "hash": audit.GENESIS_HASH}
        record = audit.record_for(event, verdict, partition, head["sequence"] + 1, head["hash"], now, sealed)
        await self.audit_log.send(key=key, value=codec.encode(record), partition=partition)
        self.heads[str(partition)] = {"sequence": record.sequence, "hash": record.hash}
        if (record.sequence + 1) % self.settings.checkpoint_every == 0:
            signed = audit.checkpoint(record, self.signing_key, now)
            await self.checkpoints.send(key=str(partition).encode(), value=codec.encode(signed), partition=partition)

    def listed_expired_candidates(self, now: datetime) -> list[str]:
        """Businesses of this worker's partitions whose listing consent has outlived its validity."""
        expired = []
        for number, raw in list(self.states.items()):
            state = _load_state(raw)
            if state and state.status == "listed" and state.given_at and state.given_at + self.settings.validity <= now:
                expired.append(number)
        return expired


def _load_state(raw: dict[str, Any] | None) -> ConsentState | None:
    if not raw:
        return None
    return ConsentState(raw["status"], datetime.fromisoformat(raw["event_time"]),
                        datetime.fromisoformat(raw["given_at"]) if raw.get("given_at") else None)


def _dump_state(state: ConsentState) -> dict[str, Any]:
    return {"status": state.status, "event_time": state.event_time.isoformat(),
            "given_at": state.given_at.isoformat() if state.given_at else None}


def _decision(event: events.AnyPartnerEvent, number: str, verdict: Verdict, now: datetime) -> events.Decision:
    return events.Decision(
        event_id=uuid.uuid5(_DECISION_NAMESPACE, str(event.event_id)), source_event_id=event.event_id,
        partner_id=event.partner_id, enterprise_number=number,
        outcome=verdict.outcome, reasons=verdict.reasons, policy_version=POLICY_VERSION, decided_at=now)


def _listing(event: events.RegistrationSubmitted, now: datetime) -> events.Listing:
    business = event.business
    return events.Listing(
        enterprise_number=business.enterprise_number, name=business.name, address=business.address,
        position=business.position, categories=business.categories, contact=business.contact,
        channels=business.channels, partner_id=event.partner_id, listed_at=now)


def _dead_letter(message: Any, reason: str) -> events.DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (message.headers or [])} if message.headers else {}
    return events.DeadLetter(
        source_topic=message.topic, source_partition=message.partition, source_offset=message.offset,
        reason=reason, original=base64.b64encode(message.value or b"").decode(), headers=headers,
        failed_at=datetime.now(UTC))
