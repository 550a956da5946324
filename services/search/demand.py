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
from prometheus_client import Counter

from services.common import codec, places
from services.common.events import SearchPerformed
from services.common.supervisor import TaskHandle
from services.search.query import SearchQuery

logger = logging.getLogger(__name__)
TASK = "search-events"
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
        """Send the buffered searches' events (keyed by municipality), until cancelled."""
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=50, request_timeout_ms=10_000)
        await producer.start()
        try:
            handle.healthy()
            while True:
                event = event_of(await self.buffer.get())
                if event is None:
                    EVENTS.labels("outside").inc()
                    continue
                delivery = await producer.send(topic, codec.encode(event), key=event.municipality_nis.encode())
                delivery.add_done_callback(_counted)
        finally:
            await producer.stop()


def _counted(delivery: "asyncio.Future[object]") -> None:
    failed = delivery.cancelled() or delivery.exception() is not None
    EVENTS.labels("failed" if failed else "sent").inc()
