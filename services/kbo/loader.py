"""Loading KBO extracts into the platform (``buurt-kbo load`` / ``update``): every enterprise whose record changes,
the tombstones of those that left, and the new snapshot, published in ONE Kafka transaction — the lookup stores switch
to it at once, and a load that fails or is killed leaves the previous snapshot in force (a rerun aborts the dangling
transaction: the loader's transactional id is fixed).

The loader keeps its own lookup store (``--store``), brought up to date from the topics before each run: it knows
the snapshot in force (an update must follow it) and the current records an update rebuilds.
"""

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import KafkaException, Producer

from services.common import codec, kafka_client
from services.common.events import KboSnapshot
from services.common.topics import Topics
from services.kbo import records
from services.kbo.extract import Extract, Meta
from services.kbo.follower import KboFollower
from services.kbo.layout import ACTIVITY, ADDRESS, ENTERPRISE, ESTABLISHMENT, SUPERSEDED_NACE, FileLayout
from services.kbo.staging import Progress, Staged
from services.kbo.store import SNAPSHOT_KEY, KboStore

logger = logging.getLogger(__name__)
TRANSACTION_TIMEOUT_MS = 15 * 60 * 1000  # the broker's default ceiling (transaction.max.timeout.ms)


Action = Callable[[Extract, KboStore, Progress], "Result"]


class LoadRefused(Exception):
    """The extract does not fit what is loaded (an update out of order, an older full extract)."""


@dataclass(frozen=True)
class Result:
    snapshot: KboSnapshot
    published: int
    removed: int


def open_store(path: Path, topics: Topics, bootstrap: str) -> KboStore:
    """The loader's store, read up to the topics' end (only what changed since its last run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = KboStore(path, topics.kbo_enterprises, topics.kbo_snapshots)
    KboFollower(store, bootstrap).catch_up()
    return store


def load_full(extract: Extract, store: KboStore, bootstrap: str, topics: Topics, progress: Progress,
              allow_older: bool = False) -> Result:
    meta = extract.meta
    if meta.extract_type != "full":
        raise LoadRefused(f"{extract.path.name} is an update extract: use `buurt-kbo update`")
    current = store.snapshot()
    if current is not None and meta.snapshot_date < current.snapshot_date and not allow_older:
        raise LoadRefused(f"extract {meta.extract_number} of {meta.snapshot_date} is older than the loaded "
                          f"{current.extract_number} of {current.snapshot_date} (--allow-older to load it anyway)")
    _check_headers(extract)
    with _staging_dir(store) as work:
        staged = Staged(extract, work / "staged.sqlite", progress)
        try:
            staged.db.execute("ATTACH DATABASE ? AS loaded", (str(store.path),))
            gone = [row[0] for row in staged.db.execute(
                "SELECT number FROM loaded.enterprises WHERE number NOT IN (SELECT number FROM enterprise)")]
            snapshot = _snapshot(meta)
            published = publish(bootstrap, topics, staged.records(), gone, snapshot, progress)
        finally:
            staged.close()
    return Result(snapshot, published, len(gone))


def load_update(extract: Extract, store: KboStore, bootstrap: str, topics: Topics, progress: Progress) -> Result:
    meta = extract.meta
    if meta.extract_type != "update":
        raise LoadRefused(f"{extract.path.name} is a full extract: use `buurt-kbo load`")
    current = store.snapshot()
    if current is None:
        raise LoadRefused("no KBO snapshot is loaded: load a full extract first (`buurt-kbo load`)")
    if meta.extract_number != current.extract_number + 1:
        raise LoadRefused(f"update {meta.extract_number} does not follow the loaded extract "
                          f"{current.extract_number}: apply {current.extract_number + 1} first")
    _check_headers(extract)
    drafts = _apply_update(extract, store)
    changed = [draft.record() for draft in drafts.values()]
    gone = [number for number, draft in drafts.items() if draft.fields is None]
    encoded = ((record.number, codec.encode(record)) for record in changed if record is not None)
    published = publish(bootstrap, topics, encoded, gone, _snapshot(meta), progress)
    return Result(_snapshot(meta), published, len(gone))


def publish(bootstrap: str, topics: Topics, enterprises: Iterable[tuple[str, bytes | str]], gone: Iterable[str],
            snapshot: KboSnapshot, progress: Progress) -> int:
    """Everything in one transaction (``enterprises``: number and KboEnterprise JSON), the snapshot last; aborted on
    any failure (nothing becomes visible)."""
    producer = Producer({
        **kafka_client.librdkafka_options(),
        "bootstrap.servers": bootstrap, "transactional.id": f"{topics.prefix}buurt-kbo-loader",
        "partitioner": "murmur2_random",  # = the Java client's and aiokafka's keyed partitioning
        "linger.ms": 50, "compression.type": "lz4", "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS,
        "queue.buffering.max.messages": 500_000, "queue.buffering.max.kbytes": 512 * 1024, "logger": logger,
    })
    producer.init_transactions(60)  # fences (and aborts) a killed earlier run's transaction
    producer.begin_transaction()
    sent = 0
    try:
        for number, record in enterprises:
            _produce(producer, topics.kbo_enterprises, codec.key(number), record)
            sent += 1
            if sent % 20_000 == 0:
                progress("published", sent)
        for number in gone:
            _produce(producer, topics.kbo_enterprises, codec.key(number), None)
        _produce(producer, topics.kbo_snapshots, SNAPSHOT_KEY, codec.encode(snapshot))
        producer.commit_transaction(TRANSACTION_TIMEOUT_MS / 1000)
    except BaseException:
        with contextlib.suppress(KafkaException):  # else the broker aborts it at the timeout, or the next run does
            producer.abort_transaction(30)
        raise
    progress("published", -1)
    return sent


def _produce(producer: Producer, topic: str, key: bytes, value: bytes | str | None) -> None:
    while True:
        try:
            producer.produce(topic, value, key)
            producer.poll(0)
            return
        except BufferError:
            producer.poll(0.1)  # the local queue is full: let librdkafka send


@contextlib.contextmanager
def _staging_dir(store: KboStore) -> Iterator[Path]:
    """Beside the loader's store (several GB for the whole of Belgium), emptied first: a killed run's is removed."""
    work = store.path.with_name(f"{store.path.stem}-staging")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _snapshot(meta: Meta) -> KboSnapshot:
    return KboSnapshot(extract_number=meta.extract_number, snapshot_date=meta.snapshot_date,
                       extract_timestamp=meta.extract_timestamp, extract_type=meta.extract_type,
                       loaded_at=datetime.now(UTC))


def _check_headers(extract: Extract) -> None:
    """Every file's columns are the published ones, including the files the platform does not use."""
    for member, layout in extract.present():
        next(iter(extract.lines(member, layout)), None)


def _apply_update(extract: Extract, store: KboStore) -> dict[str, records.Draft]:
    """The touched enterprises' records rebuilt: each file's delete list removes every row of its keys, then its
    insert file adds their complete current rows."""
    drafts: dict[str, records.Draft] = {}
    inserted_units: dict[str, str] = {}  # establishment -> enterprise, from this update

    def draft(number: str) -> records.Draft:
        if number not in drafts:
            drafts[number] = records.Draft.of(store.lookup(number)[0])
        return drafts[number]

    def owner(entity: str) -> str | None:
        if records.is_enterprise(entity):
            return entity
        return inserted_units.get(entity) or store.enterprise_of(entity)

    for line, row in _rows(extract, "establishment_insert.csv", ESTABLISHMENT):
        unit = records.digits(row["EstablishmentNumber"], "establishment_insert.csv", line)
        inserted_units[unit] = records.digits(row["EnterpriseNumber"], "establishment_insert.csv", line)
    for line, row in _rows(extract, "enterprise_delete.csv", ENTERPRISE):
        draft(records.digits(row["EnterpriseNumber"], "enterprise_delete.csv", line)).fields = None
    for line, row in _rows(extract, "establishment_delete.csv", ESTABLISHMENT):
        unit = records.digits(row["EstablishmentNumber"], "establishment_delete.csv", line)
        number = owner(unit)
        if number is not None:
            draft(number).establishments.discard(unit)
            draft(number).drop_entity(unit)
    for name, layout, addresses in (("address", ADDRESS, True), ("activity", ACTIVITY, False)):
        for line, row in _rows(extract, f"{name}_delete.csv", layout):
            entity = records.digits(row["EntityNumber"], f"{name}_delete.csv", line)
            number = owner(entity)
            if number is not None:
                draft(number).drop_entity(entity, addresses=addresses, activities=not addresses)
    for line, row in _rows(extract, "enterprise_insert.csv", ENTERPRISE):
        fields = records.enterprise_fields(row, "enterprise_insert.csv", line)
        draft(str(fields["number"])).fields = fields
    for unit, number in inserted_units.items():
        draft(number).establishments.add(unit)
    for name, layout in (("address", ADDRESS), ("activity", ACTIVITY)):
        member = f"{name}_insert.csv"
        for line, row in _rows(extract, member, layout):
            entity = records.digits(row["EntityNumber"], member, line)
            number = owner(entity)
            if number is None:
                continue  # of an entity the snapshot does not know (a branch, an establishment not published)
            if name == "address":
                draft(number).addresses.append(records.address(entity, row, member, line))
            elif row["NaceVersion"] != SUPERSEDED_NACE:
                draft(number).activities.append(records.activity(entity, row))
    return drafts


def _rows(extract: Extract, member: str, layout: FileLayout) -> Iterator[tuple[int, dict[str, str]]]:
    return enumerate(extract.rows(member, layout), 2)

