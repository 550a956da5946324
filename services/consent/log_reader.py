"""Reading the consent log for verification: the audit records, then the signed checkpoints (the order matters)."""

import re

from services.common.topic_reader import RawRecord, read_topic
from services.common.topics import Topics

_SIZE = re.compile(rb'"partition":(\d+),"size":(\d+)')
_SEQUENCE = re.compile(rb'"sequence":(\d+)')


async def read_log(bootstrap: str, topics: Topics, starts: dict[int, int] | None = None) -> tuple[
        list[RawRecord], list[RawRecord], dict[int, int]]:
    """The audit records (from ``starts`` where given), then the signed checkpoints; and where the first read ended in
    each partition (the horizon). Every record read before the horizon has its checkpoint in what was read (the
    worker commits them in one transaction). Where a checkpoint signs more records than were read (written while the
    first read ran), the records added meanwhile are read too: they serve to match it."""
    records = await read_topic(bootstrap, topics.audit, starts=starts)
    horizon, last = dict(starts or {}), {}
    for raw in records:
        horizon[raw.partition], last[raw.partition] = raw.offset + 1, raw
    signed = await read_topic(bootstrap, topics.checkpoints)
    behind = {p: horizon[p] for p in _ahead(signed, last) if p in horizon}
    if behind:
        late = await read_topic(bootstrap, topics.audit, starts=behind, only=set(behind))
        records += [raw for raw in late if raw.offset >= horizon.get(raw.partition, 0)]
    return records, signed, horizon


def _ahead(signed: list[RawRecord], last: dict[int, RawRecord]) -> set[int]:
    """Partitions with a checkpoint of more records than the last one read holds (by its sequence number)."""
    largest: dict[int, int] = {}
    for raw in signed:
        found = _SIZE.search(raw.value or b"")
        if found:
            largest[int(found[1])] = max(largest.get(int(found[1]), 0), int(found[2]))
    sequences = {p: _SEQUENCE.search(raw.value or b"") for p, raw in last.items()}
    return {p for p, size in largest.items() if (m := sequences.get(p)) is not None and size > int(m[1]) + 1}
