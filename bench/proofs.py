"""Receipts and proofs at scale: a consent log of N audit records written as the worker writes them (12 partitions,
records of pydantic's JSON chained and sealed by services.consent.audit, one transaction of 500 records per partition
ending in its signed checkpoint), then, each beside its baseline:

- ``buurt-audit verify``'s work (read the log, chains, trees, checkpoints) against a raw read of the same topic;
- the proof index's first build (a full verification that also stores the trees);
- a receipt with its proofs from an up-to-date index (lookup, the records fetched from Kafka, inclusion proofs), then
  its offline verification, and a consistency proof between half the log and all of it.
"""

import asyncio
import base64
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka.partitioner import murmur2
from confluent_kafka import Producer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common import codec, events
from services.common.enterprise import with_check_digits
from services.common.kafka_admin import create_topics
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.common.vocabulary import AuditEvent, Outcome
from services.consent import audit, checkpoints, cli_proofs, cli_support, ledger, receipts
from services.consent.merkle import Frontier, leaf_hash, verify_consistency
from services.consent.note import Signer
from services.consent.proofs import ProofIndex

PARTITIONS, TRANSACTION = 12, 500
LOG_NAME = "bench.buurt/consent-audit"


def run(bootstrap: str, home: Path, count: int) -> dict[str, Any]:
    topics = Topics(f"p{uuid.uuid4().hex[:6]}.")
    asyncio.run(create_topics(bootstrap, topics))
    signer = Signer(LOG_NAME, Ed25519PrivateKey.generate())
    started = time.perf_counter()
    numbers = write_log(bootstrap, topics, signer, count)
    figures: dict[str, Any] = {"records": count, "write_s": round(time.perf_counter() - started, 1)}
    figures |= verify_against_raw(bootstrap, topics, signer)
    figures |= receipts_from_index(bootstrap, topics, signer, home / "proofs.sqlite", numbers)
    return figures


def write_log(bootstrap: str, topics: Topics, signer: Signer, count: int) -> list[str]:
    """``count`` records of count / 4 businesses (a grant, a renewal, a withdrawal, a grant again, on average)."""
    businesses = [with_check_digits(f"0{2_000_000 + i:07d}") for i in range(max(1, count // 4))]
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"{topics.prefix}bench-writer",
                         "linger.ms": 20, "queue.buffering.max.messages": 500_000})
    producer.init_transactions(30)
    heads = {p: (-1, audit.GENESIS_HASH) for p in range(PARTITIONS)}
    trees = {p: Frontier() for p in range(PARTITIONS)}
    pending = dict.fromkeys(range(PARTITIONS), 0)
    now = datetime.now(UTC) - timedelta(days=30)
    producer.begin_transaction()
    for i in range(count):
        number = businesses[i % len(businesses)]
        key = codec.key(number)
        partition = (murmur2(key) & 0x7FFFFFFF) % PARTITIONS
        sequence, prev = heads[partition]
        record = audit.seal(_record(number, partition, sequence + 1, prev, now + timedelta(seconds=i), i))
        value = codec.encode(record)
        heads[partition] = (record.sequence, record.hash)
        trees[partition].append(leaf_hash(value))
        producer.produce(topics.audit, value, key, partition=partition)
        pending[partition] += 1
        if pending[partition] == TRANSACTION:
            _checkpoint(producer, topics, signer, partition, trees[partition], heads[partition][1])
            pending[partition] = 0
            producer.commit_transaction(60)
            producer.begin_transaction()
    for partition, waiting in pending.items():
        if waiting:
            _checkpoint(producer, topics, signer, partition, trees[partition], heads[partition][1])
    producer.commit_transaction(60)
    return businesses


def _checkpoint(producer: Producer, topics: Topics, signer: Signer, partition: int, tree: Frontier,
                head: str) -> None:
    signed = checkpoints.make(signer, partition, tree, head, datetime.now(UTC))
    producer.produce(topics.checkpoints, codec.encode(signed), str(partition).encode(), partition=partition)


def _record(number: str, partition: int, sequence: int, prev: str, at: datetime, i: int) -> events.AuditRecord:
    granted = i % 4 != 2
    return events.AuditRecord(
        record_id=uuid.uuid4(), partition=partition, sequence=sequence, prev_hash=prev, hash="", recorded_at=at,
        source_event_id=uuid.uuid4(), partner_id="vlam-rechtvanbijdeboer", enterprise_number=number,
        event_type=AuditEvent.GRANTED if granted else AuditEvent.WITHDRAWN,
        decision=Outcome.APPROVED if granted else Outcome.WITHDRAWN, reasons=(), policy_version="2026-11.5",
        purposes=("listing",) if granted else (), notice_version="2026-03" if granted else None,
        collection_method="checkbox" if granted else None, given_at=at if granted else None,
        language="nl" if granted else None, evidence_ref=f"form-{i}" if granted else None,
        subject_pii=base64.b64encode(os.urandom(150)).decode() if granted else None,
        kbo_extract=140 if granted else None)


def verify_against_raw(bootstrap: str, topics: Topics, signer: Signer) -> dict[str, Any]:
    started = time.perf_counter()
    raw = asyncio.run(read_topic(bootstrap, topics.audit))
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    records, signed, horizon = cli_support.read_log(bootstrap, topics)
    report = ledger.verify(records, signed, [signer.verifier], horizon=horizon)
    verify_s = time.perf_counter() - started
    assert report.ok, report.findings[:5]
    raw_rate, verify_rate = len(raw) / raw_s, len(records) / verify_s
    return {"raw_read_per_s": round(raw_rate), "verify_per_s": round(verify_rate),
            "verify_to_raw_ratio": round(verify_rate / raw_rate, 3)}


def receipts_from_index(bootstrap: str, topics: Topics, signer: Signer, path: Path,
                        numbers: list[str]) -> dict[str, Any]:
    trusted = [signer.verifier]
    started = time.perf_counter()
    with ProofIndex(path) as proofs:
        records, signed, horizon = cli_support.read_log(bootstrap, topics)
        with proofs.update(records, signed, trusted, horizon) as report:
            assert report.ok, report.findings[:5]
        build_s = time.perf_counter() - started
        del records
        sample = random.Random(2020).sample(numbers, 100)  # noqa: S311 - which businesses, not a secret
        timings, checks, issued = [], [], []
        for number in sample:
            started = time.perf_counter()
            receipt = cli_proofs.receipt_of(proofs, bootstrap, topics, number, None, None)
            timings.append(time.perf_counter() - started)
            text = receipt.model_dump_json()
            started = time.perf_counter()
            receipts.check(text, trusted)
            checks.append(time.perf_counter() - started)
            issued.append(receipt)
        tree = proofs.tree(0)
        started = time.perf_counter()
        proof = tree.consistency(tree.size // 2, tree.size)
        assert verify_consistency(tree.size // 2, tree.size, tree.root(tree.size // 2), tree.root(), proof)
        consistency_ms = (time.perf_counter() - started) * 1000
    return {"index_build_s": round(build_s, 1), "index_mib": round(path.stat().st_size / 2**20),
            "receipt_ms_p50": _ms(statistics.median(timings)), "receipt_ms_p99": _ms(_p99(timings)),
            "receipt_ms_max": _ms(max(timings)), "verify_receipt_ms_p50": _ms(statistics.median(checks)),
            "records_per_receipt": round(statistics.mean(len(r.records) for r in issued), 1),
            "consistency_proof_ms": round(consistency_ms, 2)}


def _p99(values: list[float]) -> float:
    return sorted(values)[max(0, round(len(values) * 0.99) - 1)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
