"""Anonymous search events (``search.performed``) for the demand insights: where shoppers look, for what, and
whether they found anything — never who.

Fire-and-forget: a search hands its event to librdkafka's bounded queue (``record``: ~25 µs, no waiting); the
library's own threads send the events in batches, outside the GIL and this event loop; a supervised task counts the
producer's delivery reports. When the queue is full (Kafka slow or down) the search's event is dropped
and counted: a search never waits for its event. (aiokafka, which sends from the event loop, was measured to add
to the searches' p99; docs/insights.md.)

Privacy: the place is the municipality (NIS code) and postcode searched around (a position becomes its nearest
postal locality), never the position itself, the IP address or the user agent; a query that holds what looks like
an e-mail address or a phone number keeps none of its words, and words with digits are left out.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from prometheus_client import Counter

from services.common import codec, kafka_client, places
from services.common.events import SearchPerformed
from services.common.supervisor import TaskHandle
from services.search.query import SearchQuery

logger = logging.getLogger(__name__)
TASK = "search-events"
# A request to the broker per second at most: its threads then hardly compete with searches for the CPU.
LINGER_MS = 1000
REPORTS_S = 0.5  # how often delivery reports are collected (and counted)
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
    def __init__(self, bootstrap: str, topic: str, capacity: int) -> None:
        """``capacity``: events waiting to be sent, beyond which they are dropped."""
        self.topic = topic
        self.producer = Producer({
            **kafka_client.librdkafka_options(),
            "bootstrap.servers": bootstrap, "acks": 1, "linger.ms": LINGER_MS, "message.timeout.ms": 10_000,
            "partitioner": "murmur2_random",  # where the Java and aiokafka clients put a key: the insights rely on it
            "queue.buffering.max.messages": capacity, "enable.idempotence": False,
        }, logger=logger)
        for outcome in ("sent", "dropped", "failed", "outside"):
            EVENTS.labels(outcome)  # every series exists from the start

    def record(self, query: SearchQuery, results: int, at: datetime) -> None:
        """Hand a search's event to the producer's queue, or drop it (counted) when the queue is full (Kafka slow
        or down)."""
        event = event_of(Searched(query, results, at))
        if event is None:
            EVENTS.labels("outside").inc()
            return
        try:
            self.producer.produce(self.topic, codec.encode(event), key=event.municipality_nis.encode(),
                                  on_delivery=_delivered)
        except BufferError:
            EVENTS.labels("dropped").inc()
        except KafkaException:  # e.g. the topic is unknown to the client's metadata: the search is answered anyway
            EVENTS.labels("failed").inc()

    async def run(self, handle: TaskHandle) -> None:
        """Collect the producer's delivery reports (counted), until cancelled; then send what is queued."""
        try:
            await asyncio.to_thread(self.producer.list_topics, self.topic, 10)  # fails, supervised, without Kafka
            handle.healthy()
            while True:
                await asyncio.sleep(REPORTS_S)
                self.producer.poll(0)
        finally:
            await asyncio.to_thread(self.producer.flush, 5)


def _delivered(error: KafkaError | None, _: Message) -> None:
    EVENTS.labels("failed" if error is not None else "sent").inc()
