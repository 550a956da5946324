"""Exactly once through a crash and through rebalances: SIGKILL the consent worker mid-stream or take its
partitions away mid-transaction, then count decisions and records."""

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from services.common import codec, events
from services.common.topics import Topics
from services.infra import stack
from tests.kafka_tools import produce, read_all
from tests.platform import running_platform
from tests.samples import wire_registration

EVENTS = 6000


async def first_decisions(bootstrap: str, topic: str, wanted: int, timeout: float = 120) -> int:
    """Returns as soon as ``wanted`` committed decisions exist (fast, so the kill lands mid-stream)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
                                isolation_level="read_committed")
    await consumer.start()
    seen, deadline = 0, time.monotonic() + timeout
    try:
        while seen < wanted and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=50)
            seen += sum(len(records) for records in batch.values())
        return seen
    finally:
        await consumer.stop()


def test_sigkill_mid_stream_leaves_exactly_one_decision_and_audit_record_per_event(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    stream = [wire_registration() for _ in range(EVENTS)]
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",)) as platform:
        asyncio.run(produce(kafka_bootstrap, topics.submitted,
                            [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in stream]))
        asyncio.run(first_decisions(kafka_bootstrap, topics.decisions, 200))
        os.kill(platform.pids["buurt-consent"], signal.SIGKILL)
        done_before = len(asyncio.run(read_all(kafka_bootstrap, topics.decisions, timeout=5)))
        assert done_before < EVENTS, "the worker finished before it could be killed; raise EVENTS"
        restarted = stack.start_services(platform.env, tmp_path / "restart", ("buurt-consent",))
        try:
            decisions = asyncio.run(read_all(kafka_bootstrap, topics.decisions, expect=EVENTS, timeout=240))
            audit = asyncio.run(read_all(kafka_bootstrap, topics.audit, expect=EVENTS, timeout=60))
            verified = platform.audit("verify")
        finally:
            stack.stop_services(restarted)

    per_event = Counter(str(codec.decode(events.Decision, r.value).source_event_id) for r in decisions)
    assert set(per_event) == {str(e.event_id) for e in stream}
    doubled = sum(1 for n in per_event.values() if n > 1)
    assert doubled == 0, f"{doubled} of {EVENTS} events decided twice"
    recorded = Counter(str(codec.decode(events.AuditRecord, r.value).source_event_id) for r in audit)
    assert set(recorded.values()) == {1}
    assert len(recorded) == EVENTS
    assert verified.returncode == 0, verified.stderr


async def _stream_while_rebalancing(bootstrap: str, topics: Topics, rebalances: int) -> tuple[list[str], int]:
    """Produce registrations while another member joins and leaves the worker's group, again and again: each join
    and each leave revokes the worker's partitions, usually with transactions open. Returns the event ids sent and
    how many times the intruder was given partitions."""
    sent: list[str] = []
    joins = 0

    async def stream(stop: asyncio.Event) -> None:
        while not stop.is_set():
            batch = [wire_registration() for _ in range(200)]
            await produce(bootstrap, topics.submitted,
                          [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in batch])
            sent.extend(str(e.event_id) for e in batch)
            await asyncio.sleep(0.2)

    async def intrude(stop: asyncio.Event) -> None:
        nonlocal joins
        try:
            for _ in range(rebalances):
                intruder = AIOKafkaConsumer(topics.submitted, bootstrap_servers=bootstrap,
                                            group_id=f"{topics.prefix}buurt-consent", enable_auto_commit=False,
                                            isolation_level="read_committed")
                await intruder.start()
                deadline = time.monotonic() + 30
                while not intruder.assignment() and time.monotonic() < deadline:
                    await intruder.getmany(timeout_ms=200)  # never commits: the worker decides these later
                joins += bool(intruder.assignment())
                await intruder.stop()
                await asyncio.sleep(1)
        finally:
            stop.set()

    stop = asyncio.Event()
    await asyncio.gather(stream(stop), intrude(stop))
    return sent, joins


def test_rebalances_mid_transaction_leave_every_event_decided_exactly_once(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",)):
        sent, joins = asyncio.run(_stream_while_rebalancing(kafka_bootstrap, topics, rebalances=6))
        decisions = asyncio.run(read_all(kafka_bootstrap, topics.decisions, expect=len(sent), timeout=120))

    assert joins >= 3, "the intruder was rarely given partitions: the worker was not made to give them up"
    per_event = Counter(str(codec.decode(events.Decision, r.value).source_event_id) for r in decisions)
    assert set(per_event) == set(sent), f"{len(set(sent) - set(per_event))} of {len(sent)} events undecided"
    assert set(per_event.values()) == {1}
