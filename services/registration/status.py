"""Partners' submission statuses, fed from ``registrations.decisions`` by a supervised consumer (task
``decisions-follower``).

Policy for a decision that cannot be applied: an undecodable record is skipped (logged with its offset and counted in
``buurt_records_skipped_total{task="decisions-follower",reason="undecodable"}``; the record stays in Kafka). Any other
failure (the request store down, a defect) ends the task with ``RecordFailed``: the supervisor logs where, restarts it
from the last committed offset with backoff, and ``/readyz`` names it until it is healthy again.
"""

import logging
import time
from typing import assert_never

from aiokafka.structs import ConsumerRecord

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.consuming import each, follow
from services.common.supervisor import SKIPPED, RecordFailed, TaskHandle
from services.common.vocabulary import Outcome, SubmissionStatus
from services.registration.store import RequestStore, Status

logger = logging.getLogger(__name__)
TASK = "decisions-follower"


def status_of(outcome: Outcome) -> SubmissionStatus:
    """What the partner reads about the event a decision was taken on: the outcome's own word, but 'listed'."""
    match outcome:
        case Outcome.APPROVED:
            return SubmissionStatus.LISTED
        case Outcome.REJECTED | Outcome.WITHDRAWN | Outcome.ERASED | Outcome.EXPIRED | Outcome.UNCHANGED:
            return SubmissionStatus(outcome.value)
        case _:
            assert_never(outcome)


async def apply_decision(store: RequestStore, decision: events.Decision) -> None:
    """The event's own status; an unlisting also ends the status of the business's listed registration."""
    kbo = decision.kbo
    status = Status(decision.partner_id, decision.enterprise_number, status_of(decision.outcome), decision.reasons,
                    time.time(), kbo.extract_number if kbo else None,
                    kbo.snapshot_date.isoformat() if kbo and kbo.snapshot_date else None)
    own_id = str(decision.source_event_id)
    match decision.outcome:
        case Outcome.APPROVED:
            await store.put_status(own_id, status)
            await store.latest_registration(decision.enterprise_number, own_id)
        case Outcome.REJECTED | Outcome.UNCHANGED:
            await store.put_status(own_id, status)
        case Outcome.WITHDRAWN | Outcome.ERASED:
            await store.put_status(own_id, status)
            await _end_listing(store, status)
        case Outcome.EXPIRED:  # decided on the worker's own tick, which no partner submitted
            await _end_listing(store, status)
        case _:
            assert_never(decision.outcome)


async def _end_listing(store: RequestStore, status: Status) -> None:
    latest = await store.latest_registration(status.enterprise_number)
    earlier = await store.get_status(latest) if latest else None
    if latest and earlier:
        await store.put_status(latest, Status(earlier.partner_id, earlier.enterprise_number, status.status,
                                              status.reasons, status.updated_at, earlier.kbo_extract,
                                              earlier.kbo_snapshot_date))


async def follow_decisions(bootstrap: str, topic: str, group_id: str, store: RequestStore,
                           handle: TaskHandle) -> None:
    """Consume decisions until cancelled; offsets are committed after the statuses are stored."""
    await follow(bootstrap, topic, group_id, handle, each(lambda record: apply_record(store, record)))


async def apply_record(store: RequestStore, record: ConsumerRecord[bytes, bytes]) -> None:
    try:
        decision = codec.decode(events.Decision, record.value)
    except DecodeError as exc:
        SKIPPED.labels(TASK, "undecodable").inc()
        logger.warning("undecodable decision skipped", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset, "reason": exc.reason})
        return
    try:
        await apply_decision(store, decision)
    except Exception as exc:
        raise RecordFailed(record.topic, record.partition, record.offset) from exc
