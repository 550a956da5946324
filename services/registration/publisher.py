"""Publishing canonical events: the Publisher port, its aiokafka adapter and an in-memory fake for unit tests."""

import asyncio
import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.registration.errors import BrokerUnavailable

logger = logging.getLogger(__name__)


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        """Return only once the record is durably written; raise BrokerUnavailable otherwise."""

    async def ready(self) -> bool: ...


class KafkaPublisher:
    """Idempotent producer with acks=all: a returned publish() means the broker acknowledged the write."""

    def __init__(self, bootstrap: str, timeout_s: float) -> None:
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        try:
            await self._ensure_started()
        except BrokerUnavailable:
            logger.warning("Kafka unreachable at start-up; will retry on the first request")

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ready(self) -> bool:
        return self._producer is not None and not self._producer._closed

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        producer = await self._ensure_started()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), self._timeout_s)
        except (TimeoutError, KafkaError) as exc:
            logger.warning("publish to %s failed: %s", topic, type(exc).__name__)
            raise BrokerUnavailable("the event log did not acknowledge the write; retry later") from None

    async def _ensure_started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is not None:
                return self._producer
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
                request_timeout_ms=int(self._timeout_s * 1000), linger_ms=2,
            )
            try:
                await asyncio.wait_for(producer.start(), self._timeout_s)
            except (TimeoutError, KafkaError, OSError):
                await producer.stop()
                raise BrokerUnavailable("the event log is unreachable; retry later") from None
            self._producer = producer
            return producer


class InMemoryPublisher:
    """Fake for unit tests: records what was published; can be switched to 'broker down'."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return not self.down

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        if self.down:
            raise BrokerUnavailable("the event log is unreachable; retry later")
        self.records.append((topic, key, value))
