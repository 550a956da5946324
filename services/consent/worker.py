"""The consent worker: Kafka's consume-transform-produce loop with aiokafka transactions (exactly once).

One transactional producer per input partition (transactional id ``<group>-<partition>``): the new owner of a
partition fences the previous one, whose open transaction is aborted, before it restores the partition's state. Each
batch of a partition is decided in one transaction that also commits the input offsets. On any error the worker
drops everything and starts over from the committed state ("crash-only"), so memory never runs ahead of the log.

aiokafka runs the rebalance callbacks in its own task, concurrently with the poll loop. A lock keeps them apart: a
revocation waits for the poll's open transactions to end before it stops their producers (stopping a producer
mid-transaction left the worker idle for good). Every poll's transactions also have a deadline; a poll that misses
it restarts the worker rather than leaving it silently stuck. After an assignment the committed offsets are read
again once the previous owners are fenced (see _Rebalance._seek_committed).

Why aiokafka transactions rather than a stream framework's exactly-once mode: docs/architecture.md (measured with
tests/integration/test_consent_crash.py).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.common import codec, events, kafka_client, sealing
from services.common.partners import CurrentAllowedEvents
from services.common.supervisor import TaskHandle
from services.consent import crypto
from services.consent.config import MAX_POLL_INTERVAL_S, Settings
from services.consent.decider import Decider, InputRecord, Out, PartitionState
from services.consent.restore import restore_partitions

logger = logging.getLogger(__name__)
WORKER_TASK, EXPIRY_TASK = "consent-worker", "expiry-check"


class ConsentWorker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = settings.topics
        self.decider = Decider(
            self.topics, CurrentAllowedEvents(settings.partners_file), settings.validity,
            crypto.unb64(settings.master_key.get_secret_value()), settings.signer(),
            unverified_lists=settings.kbo_unverified == "list",
            intake_keys=sealing.private_keys(settings.intake_keys.get_secret_value()))
        self.partitions: dict[int, PartitionState] = {}
        self.producers: dict[int, AIOKafkaProducer] = {}
        self.broken: Exception | None = None  # set when taking over an assignment failed
        self.busy = asyncio.Lock()  # held by the poll loop's transactions and by a revocation
        self._handle: TaskHandle | None = None

    async def run(self, handle: TaskHandle) -> None:
        """Consume until cancelled or until an error; the supervisor then starts it over from what Kafka committed
        (crash-only). Healthy once the group gave this worker its (possibly empty) share and its state is restored."""
        self._handle = handle
        await self._run_once()

    def _consumer(self, **overrides: object) -> AIOKafkaConsumer:
        options: dict[str, object] = {
            "isolation_level": "read_committed", "enable_auto_commit": False, "auto_offset_reset": "earliest",
            "session_timeout_ms": int(self.settings.session_timeout_s * 1000),
            "heartbeat_interval_ms": int(self.settings.session_timeout_s * 250),
            "max_poll_interval_ms": MAX_POLL_INTERVAL_S * 1000}
        return AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                                group_id=self.settings.group_id, **{**options, **overrides},
                                **kafka_client.aiokafka_options())

    async def _run_once(self) -> None:
        self.broken = None
        consumer = self._consumer()
        consumer.subscribe([self.topics.submitted], listener=_Rebalance(self, consumer))
        try:
            await consumer.start()
            while True:
                if self.broken is not None:  # an assignment could not be taken over: start over (crash-only)
                    raise self.broken
                batches = await consumer.getmany(timeout_ms=500, max_records=self.settings.max_batch)
                for tp, records in batches.items():
                    if tp.partition not in self.partitions:  # fetched just before its restore paused it
                        consumer.seek(tp, records[0].offset)  # read it again later
                async with self.busy:
                    # Each partition has its own transactional producer, so their transactions overlap: a commit's
                    # round trips (~36 ms on Kafka 4.4) are paid once per poll instead of once per partition.
                    await self._within_deadline([self._process(tp, records) for tp, records in batches.items()
                                                 if tp.partition in self.partitions])
        finally:
            await self._release(list(self.producers))
            await consumer.stop()

    async def _within_deadline(self, steps: list[Coroutine[object, object, None]]) -> None:
        """Run the steps concurrently; raise the first error, or TransactionStalled if any outlives the deadline."""
        if not steps:
            return
        tasks = [asyncio.ensure_future(step) for step in steps]
        done, pending = await asyncio.wait(tasks, timeout=self.settings.transaction_deadline_s)
        for task in pending:  # not awaited: a stalled commit may never end; its producer is stopped on restart
            task.cancel()
        for task in done:
            task.result()
        if pending:
            raise TransactionStalled(f"{len(pending)} transaction(s) open after "
                                     f"{self.settings.transaction_deadline_s:g} s")

    async def _process(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        part, producer = self.partitions[tp.partition], self.producers[tp.partition]
        async with producer.transaction():
            for out in self._decide(part, records):
                await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
            await producer.send_offsets_to_transaction({tp: records[-1].offset + 1}, self.settings.group_id)

    def _decide(self, part: PartitionState, records: list[ConsumerRecord[bytes, bytes]]) -> list[Out]:
        now = datetime.now(UTC)
        outs = [out for record in records for out in self.decider.handle(part, InputRecord(
            record.topic, record.partition, record.offset, record.key, record.value, tuple(record.headers or ())),
            now)]
        checkpoint = self.decider.checkpoint(part, now)
        return outs if checkpoint is None else [*outs, checkpoint]

    async def take(self, assigned: set[TopicPartition]) -> None:
        """Fence the previous owners (new producers, same transactional ids), then restore the partitions' state."""
        partitions = sorted(tp.partition for tp in assigned)
        producers = await asyncio.gather(*(self._producer_for(p) for p in partitions))
        self.producers.update(zip(partitions, producers, strict=True))
        self.partitions.update(await restore_partitions(self.settings.kafka_bootstrap_servers, self.topics,
                                                        partitions, self.settings.trusted_keys()))
        if self._handle is not None:
            self._handle.healthy()
        logger.info("partitions assigned", extra={"partitions": partitions})

    async def _producer_for(self, partition: int) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True,
            transactional_id=f"{self.settings.group_id}-{partition}", linger_ms=2, transaction_timeout_ms=60_000,
            **kafka_client.aiokafka_options())
        await producer.start()  # InitProducerId: fences the previous owner and aborts its open transaction
        return producer

    async def _release(self, partitions: list[int]) -> None:
        for partition in partitions:
            self.partitions.pop(partition, None)
            producer = self.producers.pop(partition, None)
            if producer is not None:
                with contextlib.suppress(Exception):
                    await producer.stop()

    async def check_expiry(self) -> None:
        """Ask, through the input topic, about every listed business whose consent outlived its validity; the
        answer is decided (and audited) in a transaction like any other event."""
        now = datetime.now(UTC)
        ticks = [events.ExpiryCheck(event_id=uuid.uuid4(), submitted_at=now, enterprise_number=number)
                 for part in list(self.partitions.values()) for number in self.decider.expired(part, now)]
        if not ticks:
            return
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all",
                                    enable_idempotence=True, **kafka_client.aiokafka_options())
        await producer.start()
        try:
            for tick in ticks:
                await producer.send_and_wait(self.topics.submitted, codec.encode(tick),
                                             key=codec.key(tick.enterprise_number))
        finally:
            await producer.stop()

    async def expiry_loop(self, handle: TaskHandle) -> None:
        """Every CONSENT_EXPIRY_CHECK_INTERVAL_S; after a failed check (the supervisor restarted the loop) the check
        runs again at once and the loop is healthy only once it passes."""
        if handle.restarts:
            await self.check_expiry()
        handle.healthy()
        while True:
            await asyncio.sleep(self.settings.expiry_check_interval_s)
            await self.check_expiry()


class TransactionStalled(Exception):
    """A poll's transactions did not end within the deadline (broker unreachable, producer wedged)."""


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: ConsentWorker, consumer: AIOKafkaConsumer) -> None:
        self.worker, self.consumer = worker, consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.worker.busy:  # after the open transactions end, not in their middle
            await self.worker._release([tp.partition for tp in revoked])

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # Paused while their state is restored: otherwise the poll loop fetches, rewinds and fetches them again,
        # a busy loop (thousands of rewinds per assignment, measured) that slows the restore it is waiting for.
        self.consumer.pause(*assigned)
        try:
            await self.worker.take(assigned)
            await self._seek_committed(assigned)
        except Exception as exc:  # noqa: BLE001 - aiokafka would only log it; the poll loop raises it (restart)
            self.worker.broken = exc
        finally:
            self.consumer.resume(*assigned)

    async def _seek_committed(self, assigned: set[TopicPartition]) -> None:
        """aiokafka read the committed offsets while take() was still fencing the previous owners. The offsets of a
        transaction committed just before (its markers are written after the commit returns) did not count yet, so
        its records were decided again (measured: tests/integration/test_consent_crash.py). Once take() has fenced,
        every earlier transaction is complete: read the offsets again."""
        for tp in assigned:
            offset = await self.consumer.committed(tp)
            if offset is not None:
                self.consumer.seek(tp, offset)
