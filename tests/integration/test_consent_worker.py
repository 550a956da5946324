"""The faust consent worker as a real process: decisions, listings, a chained audit log and dead letters."""

import asyncio
import base64
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from services.common import codec, events
from services.common.topics import Topics
from services.consent.audit import GENESIS_HASH, chain_hash
from tests.kafka_tools import produce, read_all
from tests.platform import running_platform
from tests.samples import wire_registration


def test_worker_decides_lists_chains_audit_records_and_dead_letters_garbage(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    good = [wire_registration() for _ in range(20)]
    bad = wire_registration(consent=False)
    withdrawal = events.ConsentWithdrawn(
        event_id=uuid.uuid4(), partner_id="vlam-rechtvanbijdeboer", submitted_at=datetime.now(UTC),
        enterprise_number=good[0].business.enterprise_number, withdrawn_at=datetime.now(UTC))
    items: list[tuple[bytes | None, bytes | None]] = [
        (codec.key(e.business.enterprise_number), codec.encode(e)) for e in [*good, bad]]
    items += [(b"0428759497", b'{"event_type": "registration.submitted", "truncated'), (b"0428759497", None)]
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",)):
        asyncio.run(produce(kafka_bootstrap, topics.submitted, items))
        asyncio.run(produce(kafka_bootstrap, topics.submitted,
                            [(codec.key(withdrawal.enterprise_number), codec.encode(withdrawal))]))
        decisions = asyncio.run(read_all(kafka_bootstrap, topics.decisions, expect=22, timeout=60))
        audit = asyncio.run(read_all(kafka_bootstrap, topics.audit, expect=22))
        listings = asyncio.run(read_all(kafka_bootstrap, topics.listings, expect=21))
        dead = asyncio.run(read_all(kafka_bootstrap, topics.dlq, expect=2))

    outcomes = [codec.decode(events.Decision, r.value).outcome for r in decisions]
    assert sorted(outcomes) == sorted(["approved"] * 20 + ["rejected", "withdrawn"])
    assert len(listings) == 21
    tombstones = [r.key for r in listings if r.value is None]
    assert tombstones == [codec.key(withdrawal.enterprise_number)]

    reasons = sorted(codec.decode(events.DeadLetter, r.value).reason for r in dead)
    assert len(reasons) == 2
    assert reasons[0] == "empty value"
    originals = {base64.b64decode(codec.decode(events.DeadLetter, r.value).original) for r in dead}
    assert b'{"event_type": "registration.submitted", "truncated' in originals

    chains: dict[int, list[events.AuditRecord]] = defaultdict(list)
    for record in audit:
        chains[record.partition].append(codec.decode(events.AuditRecord, record.value))
    assert sum(len(c) for c in chains.values()) == 22
    for partition, chain in chains.items():
        prev = GENESIS_HASH
        for sequence, entry in enumerate(chain):
            assert (entry.partition, entry.sequence, entry.prev_hash) == (partition, sequence, prev)
            assert chain_hash(entry) == entry.hash
            prev = entry.hash
