"""Publishing canonical events: the Publisher port and its Kafka adapter (the unit tests' fake: tests/fakes.py).

The Kafka adapter commits records in Kafka transactions (idempotent producer, acks=all). Concurrent requests are
grouped into one transaction (group commit), so a 202 means "committed", and a request answered 503 can never
surface later, because a 503 is given only while its record can no longer be committed:

- a record still queued when its request's time is up is dropped from the queue (never sent);
- a transaction whose records the broker has not all acknowledged within the timeout is left open and its producer
  discarded: no commit is ever asked for it, and the next producer with the same transactional id fences it, which
  aborts it (as does the broker's transaction timeout);
- once the commit is asked for, the broker's coordinator decides, and the requests wait for that decision however
  long it takes: answering 503 then could mean "not accepted" about a record that is committed after all.

Every consumer reads committed data only. Without transactions, a record buffered while the broker was down would
be delivered after the 503.
"""

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.common import kafka_client
from services.common.supervisor import TaskFactory, TaskHandle
from services.registration.errors import BrokerUnavailable

logger = logging.getLogger(__name__)
MAX_GROUP = 2000  # records per transaction


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        """Return only once the record is committed; raise BrokerUnavailable otherwise."""

    async def ready(self) -> bool: ...
    def tasks(self) -> dict[str, TaskFactory]:
        """The background loops the service's supervisor must run (by name)."""


@dataclass
class _Pending:
    topic: str
    key: bytes
    value: bytes
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    taken: bool = False  # into a transaction: from then on only its outcome answers the request


class KafkaPublisher:
    """Group-committing transactional producer; one transactional id per process instance."""

    def __init__(self, bootstrap: str, timeout_s: float, transactional_prefix: str = "buurt-registration") -> None:
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._transactional_id = f"{transactional_prefix}-{uuid.uuid4()}"
        self._producer: AIOKafkaProducer | None = None
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()

    async def start(self) -> None:
        try:
            await self._ensure_producer()
        except BrokerUnavailable:
            logger.warning("Kafka unreachable at start-up; will retry on the first request")

    async def stop(self) -> None:
        await self._discard_producer(flush=True)

    def tasks(self) -> dict[str, TaskFactory]:
        return {"event-log-writer": self._commit_loop}

    async def ready(self) -> bool:
        return self._producer is not None

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        pending = _Pending(topic, key, value)
        await self._queue.put(pending)
        try:
            await asyncio.wait_for(asyncio.shield(pending.done), self._timeout_s * 2)
        except TimeoutError:
            if pending.taken:
                await pending.done  # its transaction decides (module docstring)
                return
            pending.done.cancel()  # the commit loop skips it: never sent
            raise BrokerUnavailable("the event log did not acknowledge the write; retry later") from None

    async def _commit_loop(self, handle: TaskHandle) -> None:
        """Group-commit queued records; a failed transaction answers its requests 503 and the loop goes on."""
        handle.healthy()
        while True:
            group = await self._next_group()
            try:
                await self._commit(group)
            except (TimeoutError, KafkaError, BrokerUnavailable, OSError) as exc:
                logger.warning("transaction of %d records failed: %s", len(group), type(exc).__name__)
                await self._discard_producer(flush=False)
                _settle(group, BrokerUnavailable("the event log did not acknowledge the write; retry later"))
            else:
                _settle(group, None)

    async def _next_group(self) -> list[_Pending]:
        """The queued records whose requests still wait (up to MAX_GROUP), taken into the next transaction."""
        group: list[_Pending] = []
        while not group:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < MAX_GROUP:
                group.append(self._queue.get_nowait())
            group = [pending for pending in group if not pending.done.done()]
        for pending in group:
            pending.taken = True
        return group

    async def _commit(self, group: list[_Pending]) -> None:
        """Send the group in a transaction within the timeout, then commit it and wait for the broker's decision."""
        producer = await self._ensure_producer()
        await asyncio.wait_for(self._sent(producer, group), self._timeout_s)
        await producer.commit_transaction()

    @staticmethod
    async def _sent(producer: AIOKafkaProducer, group: list[_Pending]) -> None:
        await producer.begin_transaction()
        sent = [await producer.send(p.topic, p.value, key=p.key) for p in group]
        await asyncio.gather(*sent)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
            transactional_id=self._transactional_id, transaction_timeout_ms=int(max(10, self._timeout_s * 3) * 1000),
            request_timeout_ms=int(self._timeout_s * 1000), linger_ms=1, **kafka_client.aiokafka_options())
        try:
            await asyncio.wait_for(producer.start(), self._timeout_s)
        except (TimeoutError, KafkaError, OSError):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 1)
            raise BrokerUnavailable("the event log is unreachable; retry later") from None
        self._producer = producer
        return producer

    async def _discard_producer(self, flush: bool) -> None:
        """Drop the producer; without flush its unsent batches die with it (their transaction never commits).

        A new producer with the same transactional id fences the old epoch, which aborts its open transaction.
        """
        producer, self._producer = self._producer, None
        if producer is None:
            return
        if not flush and producer._sender.sender_task is not None:  # aiokafka has no public "abort and close"
            producer._sender.sender_task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(producer.stop(), self._timeout_s)


def _settle(group: list[_Pending], error: Exception | None) -> None:
    for pending in group:
        if pending.done.done():
            continue
        if error is None:
            pending.done.set_result(None)
        else:
            pending.done.set_exception(error)
