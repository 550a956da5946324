"""Thin stream loops: decode -> policy -> send decision, listing and audit record in one Kafka transaction."""

import base64
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import faust
from prometheus_client import Counter

from services.common import codec, events
from services.common.codec import DecodeError
from services.consent import audit
from services.consent.config import Settings
from services.consent.policy import POLICY_VERSION, Verdict, decide

logger = logging.getLogger(__name__)
DECISIONS = Counter("buurt_consent_decisions_total", "Decisions taken", ["outcome"])
DEAD_LETTERS = Counter("buurt_consent_dead_letters_total", "Input records sent to the DLQ")
_DECISION_NAMESPACE = uuid.UUID("0b8e7a4c-51f6-4c1e-8d3e-3f2c9b1a7d42")


def register(app: faust.App, settings: Settings) -> None:
    """Declare the topics, the chain-head table and the agent of the consent worker."""
    topics = settings.topics

    def raw(name: str) -> faust.TopicT:
        return app.topic(name, key_serializer="raw", value_serializer="raw")

    # Head of the audit chain per input partition, kept in a changelogged table so that it commits in the same
    # transaction as the records and survives restarts.
    heads = app.Table("audit-heads", key_type=str, value_type=dict)
    outputs = Outputs(raw(topics.decisions), raw(topics.listings), raw(topics.audit), raw(topics.dlq), heads)

    @app.agent(raw(topics.submitted), name="decide")
    async def decide_events(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            await outputs.handle(event)


class Outputs:
    """What one input event produces; under exactly_once every send joins the partition's transaction."""

    def __init__(self, decisions: faust.TopicT, listings: faust.TopicT, audit_log: faust.TopicT,
                 dlq: faust.TopicT, heads: faust.types.TableT) -> None:
        self.decisions, self.listings, self.audit_log, self.dlq, self.heads = decisions, listings, audit_log, dlq, heads

    async def handle(self, event: faust.EventT) -> None:
        message = event.message
        try:
            partner_event = codec.decode_partner_event(event.value)
        except DecodeError as exc:
            DEAD_LETTERS.inc()
            await self.dlq.send(key=event.key, value=codec.encode(_dead_letter(message, exc.reason)))
            return
        now = datetime.now(UTC)
        verdict = decide(partner_event, now)
        number = events.enterprise_number_of(partner_event)
        key = codec.key(number)
        await self.decisions.send(key=key, value=codec.encode(_decision(partner_event, number, verdict, now)))
        if verdict.outcome == "approved" and isinstance(partner_event, events.RegistrationSubmitted):
            await self.listings.send(key=key, value=codec.encode(_listing(partner_event, now)))
        elif verdict.outcome in {"withdrawn", "erased"}:
            await self.listings.send(key=key, value=None)
        await self._append_audit(key, partner_event, verdict, message.partition, now)
        DECISIONS.labels(verdict.outcome).inc()
        logger.info("decided", extra={"event_id": str(partner_event.event_id), "outcome": verdict.outcome,
                                      "reasons": list(verdict.reasons)})

    async def _append_audit(self, key: bytes, event: events.AnyPartnerEvent,
                            verdict: Verdict, partition: int, now: datetime) -> None:
        """Chain the record to the head of the same partition, then move the head."""
        head = self.heads.get(str(partition)) or {"sequence": -1, "hash": audit.GENESIS_HASH}
        record = audit.record_for(event, verdict, partition, head["sequence"] + 1, head["hash"], now)
        await self.audit_log.send(key=key, value=codec.encode(record), partition=partition)
        self.heads[str(partition)] = {"sequence": record.sequence, "hash": record.hash}


def _decision(event: events.AnyPartnerEvent, number: str, verdict: Verdict,
              now: datetime) -> events.Decision:
    return events.Decision(
        event_id=uuid.uuid5(_DECISION_NAMESPACE, str(event.event_id)), source_event_id=event.event_id,
        partner_id=event.partner_id, enterprise_number=number,
        outcome=verdict.outcome, reasons=verdict.reasons, policy_version=POLICY_VERSION, decided_at=now)


def _listing(event: events.RegistrationSubmitted, now: datetime) -> events.Listing:
    business = event.business
    return events.Listing(
        enterprise_number=business.enterprise_number, name=business.name, address=business.address,
        position=business.position, categories=business.categories, contact=business.contact,
        channels=business.channels,
        partner_id=event.partner_id, listed_at=now)


def _dead_letter(message: Any, reason: str) -> events.DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (message.headers or [])} if message.headers else {}
    return events.DeadLetter(
        source_topic=message.topic, source_partition=message.partition, source_offset=message.offset,
        reason=reason, original=base64.b64encode(message.value or b"").decode(), headers=headers,
        failed_at=datetime.now(UTC))
