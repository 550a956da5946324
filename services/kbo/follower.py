"""Keeps a KBO store current (task ``kbo-follower``): reads ``kbo.enterprises`` and ``kbo.snapshots`` with librdkafka
(``read_committed``, partitions assigned by hand, offsets from the store itself) in short rounds off the event loop,
and commits the store once every partition is read to its end, so a load's records switch in at once."""

import asyncio
import logging
import time
import uuid
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from prometheus_client import Counter, Gauge

from services.common import kafka_client
from services.common.supervisor import TaskHandle
from services.kbo.store import Change, KboStore

logger = logging.getLogger(__name__)
TASK = "kbo-follower"
APPLIED = Counter("buurt_kbo_records_applied_total", "KBO topic records applied to the lookup store")
EXTRACT = Gauge("buurt_kbo_extract_number", "The KBO extract in force in this process (0: none)")
BATCH = 5000


class KboFollower:
    def __init__(self, store: KboStore, bootstrap: str) -> None:
        self.store = store
        self.bootstrap = bootstrap
        self.caught_up = asyncio.Event()  # set once the store has read both topics to their end
        self._consumer: Consumer | None = None
        self._at_end: set[tuple[str, int]] = set()
        self._assigned: set[tuple[str, int]] = set()

    async def run(self, handle: TaskHandle) -> None:
        """Follow until cancelled; an error ends it for the supervisor to restart (the store resumes)."""
        try:
            await asyncio.to_thread(self.start)
            while True:
                if await asyncio.to_thread(self.round):
                    self.caught_up.set()
                    snapshot = self.store.snapshot()
                    EXTRACT.set(snapshot.extract_number if snapshot else 0)
                if self.caught_up.is_set():  # ready only once the store holds what the topics held at start
                    handle.healthy()
        finally:
            await asyncio.to_thread(self.stop)

    def catch_up(self) -> None:
        """Read both topics to their end once, here and now (the loader's own store)."""
        self.start()
        try:
            while not self.round():
                pass
        finally:
            self.stop()

    def start(self) -> None:
        consumer = Consumer({
            **kafka_client.librdkafka_options(), "bootstrap.servers": self.bootstrap,
            "group.id": f"buurt-kbo-{uuid.uuid4()}",  # never joins: assigns
            "enable.auto.commit": False, "isolation.level": "read_committed", "enable.partition.eof": True,
            "auto.offset.reset": "earliest", "fetch.max.bytes": 64 * 1024 * 1024, "logger": logger,
        })
        self._consumer = consumer
        stored = self.store.offsets()
        assignment = []
        for topic, found in self._topics(consumer).items():
            for partition in found.partitions:
                assignment.append(TopicPartition(topic, partition, stored.get((topic, partition), OFFSET_BEGINNING)))
        self._assigned = {(tp.topic, tp.partition) for tp in assignment}
        self._at_end = set()
        consumer.assign(assignment)

    def _topics(self, consumer: Consumer) -> dict[str, Any]:
        """Both topics' metadata; a topic just created may take a moment to show (then asked again, up to 30 s)."""
        names = (self.store.enterprises_topic, self.store.snapshots_topic)
        deadline = time.monotonic() + 30
        while True:
            metadata = consumer.list_topics(timeout=10).topics
            missing = [n for n in names if n not in metadata or metadata[n].error is not None]
            if not missing:
                return {name: metadata[name] for name in names}
            if time.monotonic() > deadline:
                raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"no topic {', '.join(missing)}"))
            time.sleep(0.5)

    def round(self) -> bool:
        """Read for up to half a second; True when the store just committed, having reached every partition's end."""
        assert self._consumer is not None
        changes = []
        for message in self._consumer.consume(BATCH, timeout=0.5):
            error = message.error()
            where = (str(message.topic()), int(message.partition() or 0))
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(error)
                self._at_end.add(where)
                continue
            self._at_end.discard(where)
            changes.append(Change(where[0], where[1], int(message.offset() or 0), message.key(), message.value()))
        if changes:
            self.store.apply(changes)
            APPLIED.inc(len(changes))
        if self._at_end >= self._assigned:
            committed = self.store.commit()
            return committed or not self.caught_up.is_set()
        return False

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
