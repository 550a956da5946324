"""buurt-kbo against the real broker: a full load, an update (delete + insert), an update out of order, a load that
fails or is killed half-way — read back by a lookup store the way a registration replica follows the topics."""

import csv
import io
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from services.common import places
from services.common.events import KboEnterprise
from services.common.topics import Topics
from services.common.vocabulary import Reason
from services.kbo import loader, synthetic, verify
from services.kbo.extract import Extract, ExtractError
from services.kbo.store import KboStore
from tests.kbo_samples import claim_at_first_site, csv_bytes
from tests.platform import wait_for

COUNT = 300


def follow(path: Path, topics: Topics, bootstrap: str) -> KboStore:
    """A lookup store read to the topics' end, as a registration replica keeps one."""
    return loader.open_store(path, topics, bootstrap)


def load(extract: Path, tmp_path: Path, topics: Topics, bootstrap: str, update: bool = False) -> loader.Result:
    action = loader.load_update if update else loader.load_full
    with follow(tmp_path / "loader.sqlite", topics, bootstrap) as store, Extract(extract) as opened:
        return action(opened, store, bootstrap, topics, lambda step, rows: None)


def expected_addresses(enterprise: synthetic.Enterprise) -> set[tuple[str, str, str, str]]:
    """The independent reference: what the generator wrote, as (entity, type, postcode, street)."""
    found = {(unit, "BAET", site.postcode, site.street_nl) for unit, site in enterprise.establishments}
    if enterprise.seat is not None:
        found.add((enterprise.number, "REGO", enterprise.seat.postcode, enterprise.seat.street_nl))
    return found


def addresses_of(record: KboEnterprise) -> set[tuple[str, str, str, str]]:
    return {(a.entity, a.type, a.zipcode, a.street_nl) for a in record.addresses}


def test_a_full_load_then_an_update_replace_and_remove_enterprises(
        kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    population = list(synthetic.population(COUNT))
    result = load(synthetic_full(tmp_path / "full.zip", population), tmp_path, topics, kafka_bootstrap)
    assert (result.published, result.removed, result.snapshot.extract_number) == (COUNT, 0, 140)

    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    assert replica.count() == COUNT
    for enterprise in population:
        record, snapshot = replica.lookup(enterprise.number)
        assert record is not None
        assert snapshot is not None
        assert snapshot.extract_number == 140
        assert addresses_of(record) == expected_addresses(enterprise)
        assert set(record.establishments) == {unit for unit, _ in enterprise.establishments}
        assert {a.nace_code for a in record.activities} == set(enterprise.nace)
    replica.close()

    gone, mover = population[7], next(e for e in population[8:] if e.establishments)
    ghent = places.in_postcode("9040", "Sint-Amandsberg")
    assert ghent is not None
    moved = synthetic.moved(mover, ghent, "Antwerpsesteenweg", "12")
    newcomer = synthetic.synthetic(COUNT + 1)
    update = tmp_path / "update.zip"
    synthetic.write_update(update, [moved, newcomer], [gone], 141, date(2026, 11, 2))
    result = load(update, tmp_path, topics, kafka_bootstrap, update=True)
    assert (result.published, result.removed, result.snapshot.extract_number) == (2, 1, 141)

    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)  # resumes from its own offsets
    assert replica.count() == COUNT  # one gone, one new
    record, snapshot = replica.lookup(gone.number)
    assert record is None
    assert snapshot is not None
    assert snapshot.extract_number == 141
    assert verify.check(claim_at_first_site(gone), record, snapshot).findings == (Reason.KBO_NOT_ACTIVE,)
    moved_record, _ = replica.lookup(mover.number)
    assert moved_record is not None
    assert addresses_of(moved_record) == expected_addresses(moved)
    claim_old = verify.check(claim_at_first_site(mover), moved_record, snapshot)
    assert Reason.ADDRESS_UNVERIFIED in claim_old.findings
    assert Reason.ADDRESS_UNVERIFIED not in verify.check(claim_at_first_site(moved), moved_record, snapshot).findings
    assert replica.lookup(newcomer.number)[0] is not None
    replica.close()


def test_a_new_full_extract_removes_the_enterprises_it_no_longer_holds(
        kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    population = list(synthetic.population(35))
    load(synthetic_full(tmp_path / "full.zip", population[:30]), tmp_path, topics, kafka_bootstrap)
    result = load(synthetic_full(tmp_path / "next.zip", population[5:], 145, date(2026, 12, 1)), tmp_path, topics,
                  kafka_bootstrap)
    assert (result.published, result.removed) == (30, 5)
    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    assert replica.count() == 30
    assert all(replica.lookup(e.number)[0] is None for e in population[:5])
    assert all(replica.lookup(e.number)[0] is not None for e in population[5:])


def test_an_update_that_does_not_follow_the_loaded_extract_is_refused(
        kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    population = list(synthetic.population(20))
    load(synthetic_full(tmp_path / "full.zip", population), tmp_path, topics, kafka_bootstrap)
    skipped = tmp_path / "update-142.zip"
    synthetic.write_update(skipped, [synthetic.moved(population[0], places.localities()[0])], [], 142,
                           date(2026, 11, 3))
    with pytest.raises(loader.LoadRefused, match="does not follow the loaded extract 140: apply 141 first"):
        load(skipped, tmp_path, topics, kafka_bootstrap, update=True)
    full_again = tmp_path / "full-again.zip"
    synthetic.write_full(full_again, population, 139, date(2026, 10, 1))
    with pytest.raises(loader.LoadRefused, match="older than the loaded"):
        load(full_again, tmp_path, topics, kafka_bootstrap)
    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    snapshot = replica.snapshot()
    assert snapshot is not None
    assert snapshot.extract_number == 140


def test_a_flawed_extract_names_file_and_line_and_publishes_nothing(
        kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    population = list(synthetic.population(20))
    load(synthetic_full(tmp_path / "full.zip", population), tmp_path, topics, kafka_bootstrap)
    flawed = tmp_path / "flawed.zip"
    synthetic.write_full(flawed, synthetic.population(40), 141, date(2026, 12, 1))
    _replace_member(flawed, "address.csv", lambda rows: [*rows[:6], rows[6][:-1], *rows[7:]])  # header + 6 rows
    written = high_watermark(kafka_bootstrap, topics)
    with pytest.raises(ExtractError, match=r"address\.csv, line 7: 12 fields, 13 expected"):
        load(flawed, tmp_path, topics, kafka_bootstrap)
    assert high_watermark(kafka_bootstrap, topics) == written  # refused before anything was sent
    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    assert replica.count() == 20


def test_a_load_killed_half_way_leaves_the_previous_snapshot_in_force(
        kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> None:
    small = list(synthetic.population(50))
    load(synthetic_full(tmp_path / "full.zip", small), tmp_path, topics, kafka_bootstrap)
    before = high_watermark(kafka_bootstrap, topics)
    big = synthetic_full(tmp_path / "big.zip", synthetic.population(60_000), number=141, day=date(2026, 12, 1))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "BUURT_TOPIC_PREFIX": topics.prefix}
    cli = [sys.executable, "-m", "services.kbo", "load", str(big), "--store", str(tmp_path / "loader.sqlite")]
    probe = Watermarks(kafka_bootstrap, topics)
    proc = subprocess.Popen(cli, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # killed once its transaction has records in the log (written, not committed)
        assert wait_for(lambda: probe.high() > before + 1000 or proc.poll() is not None, timeout=120)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
        probe.close()
    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    snapshot = replica.snapshot()
    assert snapshot is not None
    assert (snapshot.extract_number, replica.count()) == (140, 50)
    replica.close()

    # a rerun fences the killed transaction (aborted) and switches to the new snapshot
    done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "extract 141 (full) of 2026-12-01 in force: 60,000 enterprises published, 0 removed" in done.stdout
    replica = follow(tmp_path / "replica.sqlite", topics, kafka_bootstrap)
    assert replica.count() == 60_000  # the 50 of the old snapshot are among them
    snapshot = replica.snapshot()
    assert snapshot is not None
    assert snapshot.extract_number == 141


def synthetic_full(path: Path, population: Iterable[synthetic.Enterprise], number: int = 140,
                   day: date = date(2026, 11, 1)) -> Path:
    synthetic.write_full(path, population, number, day)
    return path


class Watermarks:
    """How many records kbo.enterprises holds, committed or not (the sum of its partitions' high watermarks)."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self.topic = topics.kbo_enterprises
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw-probe",
                                  "isolation.level": "read_uncommitted"})  # else it answers the LSO
        self.partitions = list(self.consumer.list_topics(self.topic, timeout=10).topics[self.topic].partitions)

    def high(self) -> int:
        return sum(self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
                   for p in self.partitions)

    def close(self) -> None:
        self.consumer.close()


def high_watermark(bootstrap: str, topics: Topics) -> int:
    probe = Watermarks(bootstrap, topics)
    try:
        return probe.high()
    finally:
        probe.close()


def _replace_member(archive: Path, member: str, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
    with zipfile.ZipFile(archive) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    rows = list(csv.reader(io.StringIO(contents[member].decode())))
    changed = change(rows)
    contents[member] = csv_bytes(changed[0], changed[1:])
    with zipfile.ZipFile(archive, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data)
