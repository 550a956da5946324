"""Anonymous search events (``search.performed``) for the demand insights: where shoppers look, for what, and
whether they found anything — never who.

Fire-and-forget: a search only puts its query and result count in a bounded buffer (``record``, no waiting); a
supervised task turns them into events and hands them to a Kafka producer. When the buffer is full (Kafka slow or
down) the search's event is dropped and counted: a search never waits for its event.

Privacy: the place is the municipality (NIS code) and postcode searched around (a position becomes its nearest
postal locality), never the position itself, the IP address or the user agent; a query that holds what looks like
an e-mail address or a phone number keeps none of its words, and words with digits are left out.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from prometheus_client import Counter

from services.common import codec, places
from services.common.events import SearchPerformed
from services.common.supervisor import TaskHandle
from services.search.query import SearchQuery

logger = logging.getLogger(__name__)
TASK = "search-events"
LINGER_S = 0.1  # an event leaves at most this long after its search (plus the time to send those before it)
YIELD_EVERY = 16  # events built between two returns to the event loop (~1 ms of work)
EVENTS = Counter("buurt_search_events_total", "Anonymous search events, by what became of them", ["outcome"])

@dataclass(frozen=True)
class Searched:
    query: SearchQuery
    results: int
    at: datetime


def event_of(searched: Searched) -> SearchPerformed | None:
    """The anonymous event of a search; None when its place is not in Belgium."""
    query = searched.query
    place = (places.in_postcode(query.place.postcode, query.place.locality) if query.place
             else places.nearest(round(query.lat, 2), round(query.lon, 2)))
    if place is None:
        return None
    words = () if query.personal else tuple(w for w in query.words if not any(c.isdigit() for c in w))
    named = (code for term in query.terms for code in term.codes)  # 'beenhouwer' is a search for butchers
    return SearchPerformed(at=searched.at, municipality_nis=place.municipality.nis, postcode=place.postcode,
                           radius_km=query.radius_km, categories=tuple(dict.fromkeys([*query.categories, *named])),
                           flags=query.flags, words=words, results=searched.results, page=query.page)


class SearchEvents:
    def __init__(self, capacity: int) -> None:
        self.buffer: asyncio.Queue[Searched] = asyncio.Queue(capacity)
        for outcome in ("sent", "dropped", "failed", "outside"):
            EVENTS.labels(outcome)  # every series exists from the start

    def record(self, query: SearchQuery, results: int, at: datetime) -> None:
        """Keep a search for its event, or drop it (counted) when the buffer is full."""
        try:
            self.buffer.put_nowait(Searched(query, results, at))
        except asyncio.QueueFull:
            EVENTS.labels("dropped").inc()

    async def run(self, bootstrap: str, topic: str, handle: TaskHandle) -> None:
        """Send the buffered searches' events (keyed by municipality) in batches, until cancelled."""
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, request_timeout_ms=10_000)
        await producer.start()
        try:
            await producer.partitions_for(topic)  # fails here, supervised, while the topic is missing
            handle.healthy()
            while True:
                first = await self.buffer.get()
                await asyncio.sleep(LINGER_S)  # the searches of the next moments leave in the same batches
                await self._send(producer, topic, [first, *self._drain()])
        finally:
            await producer.stop()

    def _drain(self) -> list[Searched]:
        return [self.buffer.get_nowait() for _ in range(self.buffer.qsize())]

    async def _send(self, producer: AIOKafkaProducer, topic: str, searches: list[Searched]) -> None:
        """One record batch per partition: a tenth of the CPU of a send per event, and the event loop is handed
        back every few events so that a backlog never holds up a search."""
        partitions = sorted(await producer.partitions_for(topic))
        batches: dict[int, Batch] = {}
        for n, searched in enumerate(searches, 1):
            event = event_of(searched)
            if event is None:
                EVENTS.labels("outside").inc()
                continue
            key = event.municipality_nis.encode()
            partition = DefaultPartitioner()(key, partitions, partitions)  # where a keyed send would put it
            batch = batches.setdefault(partition, Batch(producer.create_batch()))
            if not batch.add(key, codec.encode(event)):
                await _send_batch(producer, topic, partition, batch)
                batches[partition] = batch = Batch(producer.create_batch())
                batch.add(key, codec.encode(event))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        for partition, batch in batches.items():
            await _send_batch(producer, topic, partition, batch)


@dataclass
class Batch:
    builder: BatchBuilder
    events: int = 0

    def add(self, key: bytes, value: bytes) -> bool:
        """False when the batch is full."""
        if self.builder.append(timestamp=None, key=key, value=value) is None:
            return False
        self.events += 1
        return True


async def _send_batch(producer: AIOKafkaProducer, topic: str, partition: int, batch: Batch) -> None:
    batch.builder.close()
    try:
        delivery = await producer.send_batch(batch.builder, topic, partition=partition)
    except KafkaTimeoutError:  # the partition's previous batch is still not delivered: Kafka is slow or down
        EVENTS.labels("failed").inc(batch.events)
        return
    delivery.add_done_callback(lambda done: _counted(done, batch.events))


def _counted(delivery: "asyncio.Future[object]", events: int) -> None:
    failed = delivery.cancelled() or delivery.exception() is not None
    EVENTS.labels("failed" if failed else "sent").inc(events)
