"""The consent worker's pure step, Decider.handle: one input record in, the records of its transaction out."""

import base64
import json
from dataclasses import replace

from services.common import codec, events, sealing
from services.common.dead_letters import MAX_ORIGINAL
from services.consent import audit, checkpoints, crypto
from services.consent.decider import PartitionState
from services.consent.merkle import Tree, leaf_hash
from tests.unit.consent_samples import (
    NOW,
    NUMBER,
    TOPICS,
    decider,
    erasure,
    grant,
    handle,
    input_record,
    on,
    transaction,
    withdrawal,
)


def test_an_approval_writes_decision_state_listing_key_and_chained_audit_all_keyed_by_the_number() -> None:
    worker, part = decider(), PartitionState(3)
    outs = handle(worker, part, grant())
    assert {out.topic for out in outs} == {TOPICS.decisions, TOPICS.consent_state, TOPICS.listings,
                                           TOPICS.subject_keys, TOPICS.forwarders, TOPICS.audit}
    assert {out.key for out in outs} == {NUMBER.encode()}
    [listing] = on(outs, TOPICS.listings)
    assert codec.decode(events.Listing, listing.value).enterprise_number == NUMBER
    [state] = on(outs, TOPICS.consent_state)
    [key] = on(outs, TOPICS.subject_keys)
    [forwarders] = on(outs, TOPICS.forwarders)
    assert state.partition == key.partition == forwarders.partition == 3  # changelogs follow the input partition
    assert json.loads(forwarders.value or b"") == ["unizo-winkelhier"]
    [record] = [codec.decode(events.AuditRecord, out.value) for out in on(outs, TOPICS.audit)]
    assert (record.partition, record.sequence, record.prev_hash) == (3, 0, audit.GENESIS_HASH)
    assert part.head == (0, record.hash)


def test_the_audit_chain_continues_across_records_and_the_person_is_sealed_with_the_subjects_key() -> None:
    worker, part = decider(), PartitionState(0)
    outs = handle(worker, part, grant(), withdrawal(), grant())
    records = [codec.decode(events.AuditRecord, out.value) for out in on(outs, TOPICS.audit)]
    assert [r.sequence for r in records] == [0, 1, 2]
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert all(audit.chain_hash(r) == r.hash for r in records)
    assert len(on(outs, TOPICS.subject_keys)) == 1  # one data key per subject, reused
    sealed = records[0].subject_pii
    assert sealed is not None
    assert b"griet" not in json.dumps([r.model_dump(mode="json") for r in records]).lower().encode()
    person = crypto.open_sealed(crypto.unwrap(worker.master_key, part.keys[NUMBER]), NUMBER, sealed)
    assert json.loads(person)["email"] == "griet.vermeulen@example.be"


def test_erasure_destroys_the_subjects_key_with_a_tombstone_and_unlists() -> None:
    worker, part = decider(), PartitionState(0)
    handle(worker, part, grant())
    outs = worker.handle(part, input_record(erasure(), 1), NOW)
    [key] = on(outs, TOPICS.subject_keys)
    assert key.value is None
    assert NUMBER not in part.keys
    [listing] = on(outs, TOPICS.listings)
    assert listing.value is None


def test_an_undecodable_record_becomes_only_a_dead_letter_with_its_reason_and_a_bounded_copy() -> None:
    worker, part = decider(), PartitionState(0)
    huge = b'{"event_type": "registration.submitted", "x": "' + b"a" * (2 * MAX_ORIGINAL) + b'"}'
    for value, reason in ((None, "empty value"), (b"{not json", "invalid event"), (huge, "original cut")):
        [dead] = worker.handle(part, input_record(value, 7), NOW)
        assert dead.topic == TOPICS.dlq
        letter = codec.decode(events.DeadLetter, dead.value)
        assert reason in letter.reason
        assert (letter.source_topic, letter.source_offset) == (TOPICS.submitted, 7)
        assert base64.b64decode(letter.original) == (value or b"")[:MAX_ORIGINAL]
    assert part.head == (-1, audit.GENESIS_HASH)  # nothing was decided, nothing chained


def test_a_transaction_that_added_records_ends_with_a_checkpoint_of_the_partitions_tree() -> None:
    worker, part = decider(), PartitionState(4)
    outs = transaction(worker, part, grant(), withdrawal(), grant())
    [out] = on(outs, TOPICS.checkpoints)
    assert outs[-1] is out
    assert out.partition == 4
    signed = codec.decode(events.LogCheckpoint, out.value)
    opened = checkpoints.open_signed(signed, [worker.signer.verifier])
    leaves = [leaf_hash(o.value or b"") for o in on(outs, TOPICS.audit)]
    assert (opened.size, opened.root) == (3, Tree(leaves).root())  # an independent tree over the stored bytes
    assert opened.head == codec.decode(events.AuditRecord, on(outs, TOPICS.audit)[-1].value).hash
    assert checkpoints.frontier_of(signed, opened).root() == opened.root
    assert transaction(worker, part) == []  # nothing added: nothing signed
    assert worker.checkpoint(part, NOW) is None


def test_a_person_sealed_at_intake_is_opened_and_sealed_again_under_the_subjects_key_only() -> None:
    private, public = sealing.generate()
    worker = replace(decider(), intake_keys=sealing.private_keys(private))
    event = grant()
    assert event.consent is not None
    assert event.consent.person is not None
    person = sealing.seal(sealing.public_key(public), NUMBER, event.consent.person.model_dump_json().encode())
    sealed_event = event.model_copy(update={"consent": event.consent.model_copy(
        update={"person": None, "person_sealed": person})})
    part = PartitionState(0)
    outs = handle(worker, part, sealed_event)
    [record] = [codec.decode(events.AuditRecord, out.value) for out in on(outs, TOPICS.audit)]
    assert record.decision == "approved"
    assert record.subject_pii is not None
    opened = crypto.open_sealed(crypto.unwrap(worker.master_key, part.keys[NUMBER]), NUMBER, record.subject_pii)
    assert json.loads(opened)["name"] == "Griet Vermeulen"

    other, _ = sealing.generate()  # a worker without that intake key: a dead letter naming the key, no decision
    outs = handle(replace(worker, intake_keys=sealing.private_keys(other)), PartitionState(0), sealed_event)
    [letter] = [codec.decode(events.DeadLetter, out.value) for out in outs]
    assert f"sealed to intake key {person.key_id}, which this worker does not hold" in letter.reason


def test_the_listing_carries_the_purposes_consented_to_and_nothing_else() -> None:
    for purposes, carried in [(("listing",), ("listing",)),
                              (("listing", "municipal-sites"), ("listing", "municipal-sites")),
                              (("newsletter", "municipal-sites", "listing"), ("listing", "municipal-sites"))]:
        [listing] = on(handle(decider(), PartitionState(0), grant(purposes=purposes)), TOPICS.listings)
        assert codec.decode(events.Listing, listing.value).purposes == carried
    assert on(handle(decider(), PartitionState(0), grant(purposes=("municipal-sites",))), TOPICS.listings) == []
