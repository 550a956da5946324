"""The partner SDK (sdk/python) and its command line against the real processes: a registration sent while the
broker is down is answered 503, retried after Retry-After until the broker is back, and is one event in Kafka; a
Belgian spreadsheet of several parts is sent by `buurt-partner send` with a row per result and its decision, and
sending the file again adds nothing."""

import asyncio
import csv
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from buurt_partner import Client, Retry, RetryPolicy

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, process, redis_server
from tests.kafka_tools import read_all
from tests.platform import Platform, running_platform
from tests.samples import PARTNER, fresh_enterprise_number, registration_body
from tests.spreadsheet_samples import COLUMNS, ROWS, cells

COMMAND = Path(sys.executable).with_name("buurt-partner")


def numbers_published(bootstrap: str, topics: Topics, expect: int = 0) -> list[str]:
    records = asyncio.run(read_all(bootstrap, topics.submitted, expect=expect))
    return [codec.decode(events.RegistrationSubmitted, record.value).business.enterprise_number for record in records]


def test_a_503_while_the_broker_restarts_is_retried_to_one_event_in_kafka(tmp_path: Path) -> None:
    broker = kafka.KafkaNode(tmp_path / "kafka", process.free_port(), process.free_port())
    redis = redis_server.RedisNode(tmp_path / "redis", process.free_port())
    topics = Topics("sdk.")
    kafka.start(broker)
    redis_server.start(redis)
    restart: list[threading.Thread] = []
    retries: list[Retry] = []

    def on_retry(retry: Retry) -> None:  # the broker comes back only after the platform said 503
        retries.append(retry)
        if retry.status == 503 and not restart:
            restart.append(threading.Thread(target=kafka.start, args=(broker,)))
            restart[0].start()

    try:
        asyncio.run(create_topics(broker.bootstrap, topics))
        with running_platform(broker.bootstrap, redis.url, topics, tmp_path / "logs",
                              names=("buurt-registration",)) as platform:
            process.kill(broker.pid_file)
            number = fresh_enterprise_number()
            with Client(platform.registration_url, f"demo-{PARTNER}", f"demo-secret-{PARTNER}",
                        retry=RetryPolicy(max_elapsed_s=240), on_retry=on_retry) as buurt:
                accepted = buurt.register(registration_body(number))
            restart[0].join(120)
            assert accepted.status == "received"
            assert retries[0].status == 503
            assert retries[0].wait_s >= 1
            assert numbers_published(broker.bootstrap, topics, expect=1).count(number) == 1
    finally:
        for thread in restart:
            thread.join(120)
        kafka.stop(broker)
        redis_server.stop(redis)


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics("sdkcli.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("sdk-logs")) as running:
        yield running


def spreadsheet(rows: int, bad: dict[int, tuple[str, str]]) -> tuple[bytes, list[str]]:
    """Excel's CSV on a Belgian computer (semicolons, decimal commas, day-first dates, Windows-1252) of ``rows``
    registrations; ``bad``: data row index → (column, value) that makes the row unacceptable."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    numbers = []
    for index in range(rows):
        row = cells(ROWS[index % len(ROWS)], when="%d/%m/%Y %H:%M")
        row[0] = fresh_enterprise_number()
        numbers.append(row[0])
        if index in bad:
            column, value = bad[index]
            row[COLUMNS.index(column)] = value
        writer.writerow(row)
    return out.getvalue().encode("cp1252"), numbers


def send(platform: Platform, file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**platform.env, "BUURT_URL": platform.registration_url, "BUURT_PARTNER_ID": PARTNER,
           "BUURT_API_KEY": f"demo-{PARTNER}", "BUURT_SIGNING_SECRET": f"demo-secret-{PARTNER}", "COLUMNS": "200"}
    return subprocess.run([str(COMMAND), "send", str(file), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_buurt_partner_send_reports_every_row_with_its_decision_and_a_second_send_adds_nothing(
        platform: Platform, tmp_path: Path) -> None:
    bad = {41: ("consent_method", "vooraf aangevinkt"), 130: ("enterprise_number", "0428.759.498"),
           259: ("consent_given_at", "31/02/2026")}
    data, numbers = spreadsheet(260, bad)
    file, report = tmp_path / "leden.csv", tmp_path / "rapport.csv"
    file.write_bytes(data)

    first = send(platform, file, "--wait", "--report", str(report), "--rows-per-request", "100")
    assert first.returncode == 1, first.stderr  # some rows were refused
    assert "257 of 260 rows listed" in first.stderr
    assert "read as Windows-1252" in first.stderr
    lines = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [int(line["row"]) for line in lines] == list(range(2, 262))
    refused = {int(line["row"]) - 2: line["errors"] for line in lines if line["status"] == "rejected"}
    assert set(refused) == set(bad)
    assert all(refused[index].startswith(column) for index, (column, _) in bad.items())
    assert {line["decision"] for line in lines if line["status"] == "accepted"} == {"listed"}
    assert "\u2588" in first.stderr or "━" in first.stderr  # the progress bar

    again = send(platform, file, "--rows-per-request", "100")
    assert again.returncode == 1
    published = numbers_published(platform.env["KAFKA_BOOTSTRAP_SERVERS"], platform.topics, expect=257)
    assert sorted(published) == sorted(n for i, n in enumerate(numbers) if i not in bad)
