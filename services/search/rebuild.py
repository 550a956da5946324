"""Rebuilding the index from the compacted ``listings`` topic (``buurt-search reindex``, or at start-up when Redis
is empty, e.g. after losing its data)."""

import logging

from services.common import codec
from services.common.codec import DecodeError
from services.common.events import Listing
from services.common.topic_reader import read_topic
from services.search.index import ListingIndex

logger = logging.getLogger(__name__)
BATCH = 1000


async def rebuild(bootstrap: str, topic: str, index: ListingIndex) -> int:
    """Replace the index with the latest value of every key of the topic; returns the number of listings."""
    latest: dict[str, bytes | None] = {}
    for record in await read_topic(bootstrap, topic):
        if record.key is not None:
            latest[record.key.decode()] = record.value
    listings: list[tuple[str, Listing | None]] = []
    for number, value in latest.items():
        if value is None:
            continue
        try:
            listings.append((number, codec.decode(Listing, value)))
        except DecodeError as exc:
            logger.warning("undecodable listing skipped: %s", exc.reason)
    await index.clear()
    for start in range(0, len(listings), BATCH):
        await index.apply(listings[start:start + BATCH])
    logger.info("index rebuilt", extra={"listings": len(listings)})
    return len(listings)
