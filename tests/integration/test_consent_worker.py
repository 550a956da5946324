"""The consent worker as a real process: decisions, listings, a chained and signed audit log, dead letters,
and the auditors' CLI detecting a forged record."""

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import TopicPartition

from services.common import codec, events
from services.common.topics import Topics
from tests.kafka_tools import produce, read_all
from tests.platform import running_platform
from tests.samples import wire_registration


def test_worker_decides_lists_chains_signs_and_dead_letters_and_verify_catches_a_forgery(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    good = [wire_registration() for _ in range(20)]
    bad = wire_registration(consent=False)
    withdrawal = events.ConsentWithdrawn(
        event_id=uuid.uuid4(), partner_id="vlam-rechtvanbijdeboer", submitted_at=datetime.now(UTC),
        enterprise_number=good[0].business.enterprise_number, withdrawn_at=datetime.now(UTC))
    items: list[tuple[bytes | None, bytes | None]] = [
        (codec.key(e.business.enterprise_number), codec.encode(e)) for e in [*good, bad]]
    items += [(b"0428759497", b'{"event_type": "registration.submitted", "truncated'), (b"0428759497", None)]
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",)) as platform:
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
        assert [r.key for r in listings if r.value is None] == [codec.key(withdrawal.enterprise_number)]
        reasons = sorted(codec.decode(events.DeadLetter, r.value).reason for r in dead)
        assert len(reasons) == 2
        assert reasons[0] == "empty value"
        originals = {base64.b64decode(codec.decode(events.DeadLetter, r.value).original) for r in dead}
        assert b'{"event_type": "registration.submitted", "truncated' in originals
        assert all(b"griet" not in r.value.lower() for r in audit if r.value)  # personal data only encrypted

        verified = platform.audit("verify")  # every transaction is signed as it commits: no wait
        assert verified.returncode == 0, verified.stderr
        assert "22 records" in verified.stderr
        assert "every record is covered by a signed checkpoint" in verified.stderr

        # A separate producer (not the consent service) forges a record: copy a real one, flip its decision.
        victim = next(r for r in audit if codec.decode(events.AuditRecord, r.value).decision == "rejected")
        forged = json.loads(victim.value)
        forged["decision"] = "approved"
        asyncio.run(produce(kafka_bootstrap, topics.audit, [(victim.key, json.dumps(forged).encode())]))
        tampered = platform.audit("verify")
        assert tampered.returncode == 1
        after = asyncio.run(read_all(kafka_bootstrap, topics.audit, expect=23))
        forged_at = next(r for r in after if r.value == json.dumps(forged).encode())
        assert f"partition {forged_at.partition} offset {forged_at.offset}: altered" in tampered.stderr


def test_consent_expires_without_renewal_and_the_listing_is_withdrawn(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    event = wire_registration()
    assert event.consent is not None
    validity = {"CONSENT_CONSENT_VALIDITY_DAYS": str(10 / 86400), "CONSENT_EXPIRY_CHECK_INTERVAL_S": "1"}
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",),
                          extra_env=validity):
        now = datetime.now(UTC)
        fresh = event.model_copy(update={"consent": event.consent.model_copy(update={"given_at": now})})
        asyncio.run(produce(kafka_bootstrap, topics.submitted,
                            [(codec.key(fresh.business.enterprise_number), codec.encode(fresh))]))
        decisions = asyncio.run(read_all(kafka_bootstrap, topics.decisions, expect=2, timeout=60))
        listings = asyncio.run(read_all(kafka_bootstrap, topics.listings, expect=2))
    outcomes = [codec.decode(events.Decision, r.value) for r in decisions]
    assert [(d.outcome, d.reasons) for d in outcomes] == [("approved", ("explicit_consent_listing",)),
                                                          ("expired", ("consent_expired",))]
    assert listings[-1].value is None


def test_a_prefix_of_the_audit_log_removed_with_delete_records_is_found(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    first = wire_registration()
    again = wire_registration(first.business.enterprise_number)  # the same business: the same audit partition
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",)) as platform:
        asyncio.run(produce(kafka_bootstrap, topics.submitted,
                            [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in (first, again)]))
        audit = asyncio.run(read_all(kafka_bootstrap, topics.audit, expect=2, timeout=60))
        assert platform.audit("verify").returncode == 0
        second = next(r for r in audit if codec.decode(events.AuditRecord, r.value).sequence == 1)

        async def delete_before(offset: int) -> None:  # what an operator (or an attacker) with admin rights can do
            admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
            await admin.start()
            try:
                await admin.delete_records({TopicPartition(topics.audit, second.partition): RecordsToDelete(offset)})
            finally:
                await admin.close()

        asyncio.run(delete_before(second.offset))
        verified = platform.audit("verify")
    assert verified.returncode == 1
    assert (f"partition {second.partition} offset {second.offset}: a prefix is gone: the partition starts at "
            "sequence 1, record 0 is missing") in verified.stderr
