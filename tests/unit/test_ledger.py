"""The auditors' verification, ledger.verify, over a log the decider wrote: it passes untouched, and it finds every
altered, inserted, dropped, reordered or moved record, every record another producer appended (even with correctly
computed hashes), every checkpoint that is forged, signed by an unknown key or matches no record, naming where."""

import json
from pathlib import Path

import pytest

from services.common import codec, events
from services.common.topic_reader import RawRecord
from services.consent import audit, checkpoints, crypto, ledger
from services.consent.decider import Decider, PartitionState
from services.consent.merkle import Frontier, leaf_hash
from services.consent.note import Signer, Verifier
from tests.unit.consent_samples import LOG_NAME, NOW, TOPICS, decider, grant, signer, transaction, withdrawal


def written(worker: Decider | None = None) -> tuple[list[RawRecord], list[RawRecord], list[Verifier]]:
    """Six decisions on partition 2 in three transactions, as the worker writes them: the raw audit records, the
    checkpoints (sizes 2, 4 and 6) and the log's key."""
    worker = worker or decider()
    part = PartitionState(2)
    outs = [out for pair in [(grant(), withdrawal())] * 3 for out in transaction(worker, part, *pair)]
    return (renumbered([RawRecord(2, 0, o.value) for o in outs if o.topic == TOPICS.audit]),
            renumbered([RawRecord(2, 0, o.value) for o in outs if o.topic == TOPICS.checkpoints]),
            [worker.signer.verifier])


def renumbered(records: list[RawRecord]) -> list[RawRecord]:
    """The records at consecutive offsets, as Kafka would hold them."""
    return [RawRecord(r.partition, offset, r.value) for offset, r in enumerate(records)]


def findings(records: list[RawRecord], signed: list[RawRecord], trusted: list[Verifier]) -> list[str]:
    report = ledger.verify(records, signed, trusted)
    return [f"{'checkpoints ' if f.topic == 'checkpoints' else ''}{f.partition}/{f.offset}: {f.problem}"
            for f in report.findings]


def resealed(raw: RawRecord, **changes: object) -> bytes:
    """A record with changed content and correctly computed hashes, as a forger who knows the format would write."""
    return codec.encode(audit.seal(codec.decode(events.AuditRecord, raw.value).model_copy(update=changes)))


def test_an_untouched_log_verifies_and_every_record_is_covered() -> None:
    records, signed, trusted = written()
    covered: list[int] = []
    report = ledger.verify(records, signed, trusted, lambda raw, index, leaf: covered.append(index))
    assert report.ok, report.findings
    assert (report.records, report.checkpoints, report.unsigned) == (6, 3, 0)
    assert covered == [0, 1, 2, 3, 4, 5]
    assert report.covered[2].size == 6


def test_an_altered_record_is_found_at_its_offset() -> None:
    records, signed, trusted = written()
    forged = json.loads(records[3].value or b"")
    forged["decision"] = "approved"
    records[3] = RawRecord(2, 3, json.dumps(forged).encode())
    assert findings(records, signed, trusted)[0].startswith("2/3: altered")


def test_a_dropped_record_is_found_where_the_sequence_jumps() -> None:
    records, signed, trusted = written()
    found = findings(renumbered(records[:2] + records[3:]), signed, trusted)
    assert found[0].startswith("2/2: dropped: records 2 to 2 are missing"), found


def test_an_inserted_copy_is_found_at_its_offset() -> None:
    records, signed, trusted = written()
    found = findings(renumbered([*records[:4], records[1], *records[4:]]), signed, trusted)
    copied, head = json.loads(records[1].value or b""), json.loads(records[3].value or b"")
    assert found == [f"2/4: inserted or reordered: sequence 1 after {copied['prev_hash'][:12]}… does not continue the "
                     f"log (at sequence 3, hash {head['hash'][:12]}…)"], found


def test_reordered_records_are_found() -> None:
    records, signed, trusted = written()
    found = findings(renumbered([*records[:2], records[3], records[2], *records[4:]]), signed, trusted)
    assert found[0].startswith("2/2: dropped"), found
    assert found[1].startswith("2/3: inserted or reordered"), found


def test_a_moved_record_is_found() -> None:
    records, signed, trusted = written()
    records[2] = RawRecord(5, 2, records[2].value)
    assert any(f.startswith("5/2: moved") for f in findings(records, signed, trusted))


def test_a_well_formed_record_appended_by_another_producer_is_found_though_its_hashes_are_right() -> None:
    """Appended after the last transaction: it continues the chain, but no signed checkpoint covers it."""
    records, signed, trusted = written()
    last = codec.decode(events.AuditRecord, records[-1].value)
    foreign = resealed(records[-1], sequence=last.sequence + 1, prev_hash=last.hash, partner_id="boerenbond")
    found = findings([*records, RawRecord(2, 6, foreign)], signed, trusted)
    assert len(found) == 1, found
    assert found[0].startswith("2/6: not covered by any signed checkpoint (the last signs 6 records)")


def test_a_foreign_record_the_worker_did_not_continue_from_is_found_and_the_log_still_verifies_around_it() -> None:
    """Between two transactions: it claims sequence 2; the worker, which never read it, wrote its own sequence 2."""
    records, signed, trusted = written()
    second = codec.decode(events.AuditRecord, records[1].value)
    foreign = resealed(records[2], prev_hash=second.hash, partner_id="boerenbond")
    found = findings(renumbered([*records[:2], RawRecord(2, 0, foreign), *records[2:]]), signed, trusted)
    assert found == ["2/2: not covered by any signed checkpoint: sequence 2 is held by another record of the log; "
                     "written by another producer"], found


def test_a_log_rewritten_with_a_resealed_record_breaks_at_that_place() -> None:
    records, signed, trusted = written()
    records[3] = RawRecord(2, 3, resealed(records[3], partner_id="boerenbond"))
    found = findings(records, signed, trusted)
    assert found[0].startswith("2/4: the chain breaks: sequence 4 follows hash"), found
    assert "(offset 3)" in found[0]


def test_a_removed_tail_is_found_by_the_checkpoint_that_signs_more_records() -> None:
    records, signed, trusted = written()
    found = findings(records[:4], signed, trusted)
    assert found == ["checkpoints 2/2: checkpoint of 6 records matches no sequence of records: the partition has "
                     "only 4: records were removed"], found


def test_a_removed_prefix_is_named_as_such() -> None:
    records, signed, trusted = written()
    found = findings(records[2:], signed, trusted)
    assert found[0] == ("2/2: a prefix is gone: the partition starts at sequence 2, records 0 to 1 are missing "
                        "(removed with DeleteRecords, or by a retention the audit log must never have)")
    assert "starts at sequence 1, record 0 is missing" in findings(records[1:], signed, trusted)[0]


def test_a_checkpoint_signed_by_an_unknown_key_is_found_in_the_checkpoints_topic() -> None:
    records, signed, trusted = written()
    tree = Frontier()
    for raw in records:
        tree.append(leaf_hash(raw.value or b""))
    head = codec.decode(events.AuditRecord, records[-1].value).hash
    stranger = codec.encode(checkpoints.make(signer(), 2, tree, head, NOW))
    found = findings(records, [*signed, RawRecord(2, 3, stranger)], trusted)
    assert found == ["checkpoints 2/3: checkpoint of 6 records of partition 2: no known key signed this note"]


def test_a_checkpoint_whose_note_was_edited_is_found() -> None:
    records, signed, trusted = written()
    cp = codec.decode(events.LogCheckpoint, signed[1].value)
    edited = cp.model_copy(update={"note": cp.note.replace("\n4\n", "\n5\n"), "size": 5})
    signed[1] = RawRecord(2, 1, codec.encode(edited))
    found = findings(records, signed, trusted)
    assert found == [f"checkpoints 2/1: checkpoint of 5 records of partition 2: the signature of {LOG_NAME} does "
                     "not verify"], found


def test_a_rotated_signing_key_verifies_with_both_keys_and_is_named_without_the_old_one() -> None:
    worker, part = decider(), PartitionState(2)
    outs = transaction(worker, part, grant(), withdrawal())
    rotated = Decider(worker.topics, worker.allowed_events, worker.validity, worker.master_key, signer())
    outs += transaction(rotated, part, grant(), withdrawal())
    records = renumbered([RawRecord(2, 0, o.value) for o in outs if o.topic == TOPICS.audit])
    signed = renumbered([RawRecord(2, 0, o.value) for o in outs if o.topic == TOPICS.checkpoints])
    assert findings(records, signed, [worker.signer.verifier, rotated.signer.verifier]) == []
    found = findings(records, signed, [rotated.signer.verifier])
    assert found == ["checkpoints 2/0: checkpoint of 2 records of partition 2: no known key signed this note"]


@pytest.mark.parametrize("value", [b"{\"partition\": 2}", b"not json", b"", None])
def test_a_record_of_the_checkpoints_topic_that_is_no_checkpoint_is_found_at_its_offset(value: bytes | None) -> None:
    records, signed, trusted = written()
    signed.insert(1, RawRecord(0, 7, value))
    found = findings(records, signed, trusted)
    assert len(found) == 1, found
    assert found[0].startswith("checkpoints 0/7: not a signed checkpoint"), found


def test_records_read_after_the_checkpoints_are_not_held_against_the_log() -> None:
    records, signed, trusted = written()
    report = ledger.verify(records, signed[:2], trusted, horizon={2: 4})
    assert report.ok, report.findings
    assert not ledger.verify(records, signed[:2], trusted).ok


def test_a_log_from_before_tree_checkpoints_verifies_with_its_chain_checkpoints() -> None:
    # Two records as the version of 2026-11-26 wrote them (schema 1, before evidence_ref): a golden file.
    lines = (Path(__file__).with_name("data") / "audit-v1.jsonl").read_bytes().splitlines()
    records = [RawRecord(0, offset, line) for offset, line in enumerate(lines)]
    key = crypto.signing_key(crypto.generate_secrets()[1])
    verifier = Signer(LOG_NAME, key).verifier
    head = json.loads(lines[0])["hash"]
    chain = events.AuditCheckpoint(partition=0, sequence=0, hash=head, signed_at=NOW,
                                   public_key=crypto.b64(key.public_key().public_bytes_raw()),
                                   signature=crypto.b64(key.sign(events.checkpoint_message(0, 0, head))))
    report = ledger.verify(records, [RawRecord(0, 0, codec.encode(chain))], [verifier])
    assert report.ok, report.findings
    assert (report.records, report.unsigned) == (2, 1)
    other = Signer(LOG_NAME, crypto.signing_key(crypto.generate_secrets()[1])).verifier
    assert not ledger.verify(records, [RawRecord(0, 0, codec.encode(chain))], [other]).ok
    forged = json.loads(lines[1])
    forged["reasons"] = ["partner_not_allowed"]
    assert not ledger.verify([records[0], RawRecord(0, 1, json.dumps(forged).encode())], [], [verifier]).ok


@pytest.mark.parametrize(("field", "value"), [("decision", b'"approved"'), ("partner_id", b'"boerenbond"'),
                                              ("recorded_at", b'"2020-04-01T00:00:00Z"'), ("language", b'"fr"')])
def test_an_edit_that_keeps_the_stored_form_is_found_as_altered(field: str, value: bytes) -> None:
    records, signed, trusted = written()
    raw = records[3].value or b""
    start = raw.index(f'"{field}":'.encode()) + len(field) + 3
    end = start + len(json.dumps(json.loads(raw)[field]).replace(", ", ",").encode())
    records[3] = RawRecord(2, 3, raw[:start] + value + raw[end:])
    assert records[3].value != raw
    assert findings(records, signed, trusted)[0].startswith("2/3: altered")


def test_records_stored_in_another_json_layout_keep_their_chain_but_not_their_tree() -> None:
    """The leaf is the stored bytes: a relaid log no longer matches its signed trees."""
    records, signed, trusted = written()
    relaid = [RawRecord(r.partition, r.offset, json.dumps(json.loads(r.value or b""), indent=1).encode())
              for r in records]
    found = findings(relaid, signed, trusted)
    assert found[:6] == [f"2/{offset}: not covered by a signed checkpoint: the checkpoint of 2 records signs other "
                         "bytes (this record or one before it was rewritten or replaced)" for offset in range(6)]
    assert found[6:] == [f"checkpoints 2/{offset}: checkpoint of {size} records matches no sequence of records: a "
                         "record it covers was altered or replaced" for offset, size in [(0, 2), (1, 4), (2, 6)]]
