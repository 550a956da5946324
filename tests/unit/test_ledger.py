"""The auditors' verification, ledger.verify, over a log the decider wrote: it passes untouched, and it finds every
altered, inserted, dropped, reordered or moved record and every checkpoint that does not match, naming where."""

import json
from pathlib import Path

import pytest

from services.common import codec, events
from services.common.topic_reader import RawRecord
from services.consent import audit, crypto, ledger
from services.consent.decider import PartitionState
from tests.unit.consent_samples import TOPICS, decider, grant, handle, withdrawal


def written(checkpoint_every: int = 3) -> tuple[list[RawRecord], list[RawRecord], str]:
    """Six decisions on partition 2 as the worker writes them: the raw audit records, checkpoints, public key."""
    worker = decider(checkpoint_every)
    outs = handle(worker, PartitionState(2), grant(), withdrawal(), grant(), withdrawal(), grant(), withdrawal())
    records = [RawRecord(2, offset, out.value) for offset, out in enumerate(o for o in outs if o.topic == TOPICS.audit)]
    checkpoints = [RawRecord(0, offset, out.value)
                   for offset, out in enumerate(o for o in outs if o.topic == TOPICS.checkpoints)]
    return records, checkpoints, crypto.public_key_b64(worker.signing_key)


def findings(records: list[RawRecord], checkpoints: list[RawRecord], key: str | None) -> list[str]:
    report = ledger.verify(records, checkpoints, key)
    return [f"{f.partition}/{f.offset}: {f.problem}" for f in report.findings or []]


def test_an_untouched_log_verifies() -> None:
    records, checkpoints, key = written()
    report = ledger.verify(records, checkpoints, key)
    assert report.ok
    assert (report.records, report.checkpoints, report.unsigned) == (6, 2, 0)


def test_an_altered_record_is_found_at_its_offset() -> None:
    records, checkpoints, key = written()
    forged = json.loads(records[3].value or b"")
    forged["decision"] = "approved"
    records[3] = RawRecord(2, 3, json.dumps(forged).encode())
    assert findings(records, checkpoints, key)[0].startswith("2/3: altered")


@pytest.mark.parametrize("tamper", ["dropped", "inserted", "reordered", "moved"])
def test_dropped_inserted_reordered_or_moved_records_break_the_chain(tamper: str) -> None:
    records, checkpoints, key = written()
    if tamper == "dropped":
        del records[2]
    elif tamper == "inserted":
        records.insert(2, records[4])
    elif tamper == "reordered":
        records[2], records[3] = records[3], records[2]
    else:
        records[2] = RawRecord(5, records[2].offset, records[2].value)
    found = findings(records, checkpoints, key)
    assert found
    assert any("dropped, inserted or reordered" in f or "moved" in f for f in found), found


def test_a_dropped_tail_is_found_by_the_checkpoint_that_has_no_record() -> None:
    records, checkpoints, key = written()
    assert any("has no record" in f for f in findings(records[:4], checkpoints, key))


def test_a_checkpoint_of_another_key_or_with_a_bad_signature_is_found() -> None:
    records, checkpoints, key = written()
    _, other = crypto.generate_secrets()
    assert any("signed by another key" in f
               for f in findings(records, checkpoints, crypto.public_key_b64(crypto.signing_key(other))))
    first = codec.decode(events.AuditCheckpoint, checkpoints[0].value)
    bad = [RawRecord(0, 0, codec.encode(first.model_copy(update={"sequence": 1}))), *checkpoints[1:]]
    assert any("bad signature" in f for f in findings(records, bad, key))


@pytest.mark.parametrize("value", [b"{\"partition\": 2}", b"not json", b"", None])
def test_a_record_of_the_checkpoints_topic_that_is_no_checkpoint_is_found_at_its_offset(value: bytes | None) -> None:
    records, checkpoints, key = written()
    checkpoints.insert(1, RawRecord(0, 7, value))
    found = findings(records, checkpoints, key)
    assert len(found) == 1, found
    assert found[0].startswith("0/7: in the checkpoints' topic: not a signed checkpoint"), found


def test_records_newer_than_the_last_checkpoint_are_counted_as_unsigned() -> None:
    records, checkpoints, key = written(checkpoint_every=4)
    report = ledger.verify(records, checkpoints, key)
    assert report.ok
    assert report.unsigned == 2


def test_records_written_before_a_field_was_added_still_verify() -> None:
    # Two records as the version of 2026-11-26 wrote them (schema 1, before evidence_ref): a golden file.
    lines = (Path(__file__).with_name("data") / "audit-v1.jsonl").read_bytes().splitlines()
    records = [RawRecord(0, offset, line) for offset, line in enumerate(lines)]
    report = ledger.verify(records, [], None)
    assert report.ok, report.findings
    assert report.records == 2
    forged = json.loads(lines[1])
    forged["reasons"] = ["partner_not_allowed"]
    assert not ledger.verify([records[0], RawRecord(0, 1, json.dumps(forged).encode())], [], None).ok


@pytest.mark.parametrize(("field", "value"), [("decision", b'"approved"'), ("partner_id", b'"boerenbond"'),
                                              ("recorded_at", b'"2020-04-01T00:00:00Z"'), ("language", b'"fr"')])
def test_an_edit_that_keeps_the_stored_form_is_found_as_altered(field: str, value: bytes) -> None:
    records, checkpoints, key = written()
    raw = records[3].value or b""
    start = raw.index(f'"{field}":'.encode()) + len(field) + 3
    end = start + len(json.dumps(json.loads(raw)[field]).replace(", ", ",").encode())
    records[3] = RawRecord(2, 3, raw[:start] + value + raw[end:])
    assert records[3].value != raw
    assert findings(records, checkpoints, key)[0].startswith("2/3: altered")


def test_a_resealed_forgery_breaks_the_chain_at_the_next_record() -> None:
    records, checkpoints, key = written()
    forged = codec.decode(events.AuditRecord, records[3].value).model_copy(update={"partner_id": "boerenbond"})
    records[3] = RawRecord(2, 3, codec.encode(audit.seal(forged)))
    found = findings(records, checkpoints, key)
    assert found[0].startswith("2/4: dropped, inserted or reordered"), found


def test_records_stored_in_another_json_layout_verify_by_their_content() -> None:
    records, checkpoints, key = written()
    relaid = [RawRecord(r.partition, r.offset, json.dumps(json.loads(r.value or b""), indent=1).encode())
              for r in records]
    assert findings(relaid, checkpoints, key) == []


def test_a_removed_prefix_is_named_as_such() -> None:
    records, checkpoints, key = written()
    found = findings(records[2:], checkpoints, key)
    assert found[0] == ("2/2: a prefix is gone: the partition starts at sequence 2, records 0 to 1 are missing "
                        "(removed with DeleteRecords, or by a retention the audit log must never have)")
    assert "starts at sequence 1, record 0 is missing" in findings(records[1:], checkpoints, key)[0]
