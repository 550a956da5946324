"""Tampering with the consent log on a real broker, each time by a producer that is not the consent worker (one of
them kcat), and the auditors' tool finding and locating it; a rotated signing key; receipts and consistency proofs
across both."""

import asyncio
import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.common.vocabulary import Outcome
from services.consent import audit, checkpoints, crypto
from services.consent.merkle import Frontier, leaf_hash
from services.consent.note import Signer
from services.infra import apt, stack
from tests.kafka_tools import produce, read_all
from tests.platform import Platform, running_platform, wait_for
from tests.samples import wire_registration


@contextmanager
def consent_worker(platform: Platform, logs: Path, **env: str) -> Iterator[None]:
    """The consent worker with this environment, healthy until the block ends."""
    procs = stack.start_services({**platform.env, **env}, logs, ("buurt-consent",))
    try:
        stack.wait_healthy([f"{platform.consent_url}/readyz"], procs, logs, timeout=120)
        yield
    finally:
        stack.stop_services(procs)


@pytest.fixture
def platform(kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> Iterator[Platform]:
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=()) as running:
        yield running


def register(platform: Platform, number: str | None = None) -> events.RegistrationSubmitted:
    event = wire_registration(number) if number else wire_registration()
    asyncio.run(produce(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics.submitted,
                        [(codec.key(event.business.enterprise_number), codec.encode(event))]))
    return event


def audit_records(platform: Platform, expect: int) -> list[tuple[int, int, bytes]]:
    records = asyncio.run(read_all(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics.audit, expect=expect,
                                   timeout=60))
    assert len(records) >= expect
    return sorted((r.partition, r.offset, r.value) for r in records)


def test_a_record_another_producer_appends_with_correct_hashes_is_found_and_never_continued(
        platform: Platform, tmp_path: Path) -> None:
    first = register(platform)
    number = first.business.enterprise_number
    with consent_worker(platform, tmp_path / "worker"):
        [(partition, _, value)] = audit_records(platform, 1)
    genuine = codec.decode(events.AuditRecord, value)
    forged = audit.seal(genuine.model_copy(update={
        "sequence": 1, "prev_hash": genuine.hash, "decision": Outcome.APPROVED, "record_id": uuid.uuid4(),
        "partner_id": "boerenbond"}))
    asyncio.run(produce(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics.audit,
                        [(codec.key(number), codec.encode(forged))]))
    [(_, foreign_at, _)] = [r for r in audit_records(platform, 2) if r[1] > 0]
    found = platform.audit("verify")
    assert found.returncode == 1
    assert (f"partition {partition} offset {foreign_at}: not covered by any signed checkpoint (the last signs 1 "
            "records)") in " ".join(found.stderr.split())

    register(platform, number)  # decided by a restarted worker, which restores from its own signed checkpoint
    with consent_worker(platform, tmp_path / "restarted"):
        records = audit_records(platform, 3)
    own = codec.decode(events.AuditRecord, records[-1][2])
    assert (own.sequence, own.prev_hash) == (1, genuine.hash)  # it went on from its own record, not the forged one
    found = platform.audit("verify")
    assert found.returncode == 1
    said = " ".join(found.stderr.split())
    assert "FAILED: 1 problems in 3 records" in said
    assert (f"partition {partition} offset {foreign_at}: not covered by any signed checkpoint: sequence 1 is held by "
            "another record of the log; written by another producer") in said
    receipt = json.loads(platform.audit("receipt", number).stdout)  # proofs only of what the signed trees hold
    assert [json.loads(r["record"])["record_id"] for r in receipt["records"]] == [str(genuine.record_id),
                                                                                   str(own.record_id)]


def test_a_checkpoint_of_an_unknown_key_written_with_kcat_is_found(platform: Platform, tmp_path: Path) -> None:
    register(platform)
    with consent_worker(platform, tmp_path / "worker"):
        [(partition, _, value)] = audit_records(platform, 1)
    assert platform.audit("verify").returncode == 0
    tree = Frontier()
    tree.append(leaf_hash(value))
    stranger = Signer("buurt.local/consent-audit", crypto.signing_key(crypto.generate_secrets()[1]))
    forged = codec.encode(checkpoints.make(stranger, partition, tree, json.loads(value)["hash"], datetime.now(UTC)))
    kcat = apt.ensure("kcat", ["kcat"])
    subprocess.run([kcat, "-b", platform.env["KAFKA_BOOTSTRAP_SERVERS"], "-P", "-t", platform.topics.checkpoints,
                    "-p", str(partition), "-k", str(partition)], input=forged, check=True, timeout=60)
    stored = asyncio.run(read_all(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics.checkpoints, expect=2))
    forged_at = next(r.offset for r in stored if r.value == forged)
    found = platform.audit("verify")
    assert found.returncode == 1
    assert (f"checkpoints' topic, partition {partition} offset {forged_at}: checkpoint of 1 records of partition "
            f"{partition}: no known key signed this note") in " ".join(found.stderr.split())


@pytest.mark.parametrize("tamper", ["dropped", "reordered", "inserted", "altered"])
def test_a_rewritten_copy_of_the_log_is_found_and_located(platform: Platform, tmp_path: Path, tamper: str) -> None:
    """What someone with admin rights could do: recreate the topics from a copy with one change."""
    number = register(platform).business.enterprise_number
    for _ in range(4):
        register(platform, number)
    with consent_worker(platform, tmp_path / "worker"):
        records = audit_records(platform, 5)
    bootstrap = platform.env["KAFKA_BOOTSTRAP_SERVERS"]
    signed = asyncio.run(read_all(bootstrap, platform.topics.checkpoints, expect=1))
    values = [value for _, _, value in records]
    if tamper == "dropped":
        del values[2]
    elif tamper == "reordered":
        values[2], values[3] = values[3], values[2]
    elif tamper == "inserted":
        values.insert(3, values[1])
    else:
        values[2] = values[2].replace(b'"decision":"unchanged"', b'"decision":"approved"').replace(
            b'"decision":"approved"', b'"decision":"rejected"', 1)
    copy = Topics(f"copy{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(bootstrap, copy))
    key = codec.key(number)
    asyncio.run(produce(bootstrap, copy.audit, [(key, value) for value in values]))  # one at a time: in order
    asyncio.run(produce(bootstrap, copy.checkpoints, [(r.key, r.value) for r in signed]))
    found = platform.audit("verify", "--prefix", copy.prefix)
    assert found.returncode == 1
    said = " ".join(found.stderr.split())
    expected = {"dropped": "offset 2: dropped: records 2 to 2 are missing",
                "reordered": "offset 3: inserted or reordered",
                "inserted": "offset 3: not covered by any signed checkpoint: sequence 1 is held by another record",
                "altered": "offset 2: altered"}[tamper]
    assert expected in said, said


def test_a_rotated_signing_key_keeps_one_log_and_old_receipts_verify_with_the_old_key(
        platform: Platform, tmp_path: Path) -> None:
    number = register(platform).business.enterprise_number
    with consent_worker(platform, tmp_path / "worker"):
        [(partition, _, _)] = audit_records(platform, 1)
    old_key = platform.audit("public-key").stdout.strip()
    (tmp_path / "old.note").write_text(platform.audit("checkpoint", str(partition)).stdout)
    (tmp_path / "old-receipt.json").write_text(platform.audit("receipt", number).stdout)

    _, signing = crypto.generate_secrets()
    new_key = Signer("buurt.local/consent-audit", crypto.signing_key(signing)).verifier.vkey()
    register(platform, number)
    with consent_worker(platform, tmp_path / "rotated", CONSENT_SIGNING_KEY=signing, CONSENT_PREVIOUS_KEYS=old_key):
        audit_records(platform, 2)

    both = ("--key", old_key, "--key", new_key)
    verified = platform.audit("verify", *both)
    assert verified.returncode == 0, verified.stderr
    only_new = platform.audit("verify", "--key", new_key)
    assert only_new.returncode == 1
    assert "no known key signed this note" in only_new.stderr
    grown = platform.audit("consistency", str(tmp_path / "old.note"), *both)
    assert grown.returncode == 0, grown.stderr
    assert f"OK: partition {partition} grew from 1 to 2 records" in " ".join(grown.stderr.split())
    old = platform.audit("verify-receipt", str(tmp_path / "old-receipt.json"), "--key", old_key)
    assert old.returncode == 0, old.stderr
    new_receipt = platform.audit("receipt", number, *both)
    (tmp_path / "new-receipt.json").write_text(new_receipt.stdout)
    assert platform.audit("verify-receipt", str(tmp_path / "new-receipt.json"), "--key", new_key).returncode == 0
    assert platform.audit("verify-receipt", str(tmp_path / "new-receipt.json"), "--key", old_key).returncode == 1


def test_a_worker_given_a_new_key_without_the_old_one_refuses_to_fork_the_log(
        platform: Platform, tmp_path: Path) -> None:
    register(platform)
    with consent_worker(platform, tmp_path / "worker"):
        audit_records(platform, 1)
    _, signing = crypto.generate_secrets()
    logs = tmp_path / "forgetful"
    procs = stack.start_services({**platform.env, "CONSENT_SIGNING_KEY": signing}, logs, ("buurt-consent",))
    try:
        assert wait_for(lambda: '"error": "Untrusted at services/consent/restore.py' in (
            logs / "buurt-consent.log").read_text(errors="replace"), timeout=90)  # logged with where, restarted
        assert httpx.get(f"{platform.consent_url}/readyz", timeout=5).status_code == 503
    finally:
        stack.stop_services(procs)
