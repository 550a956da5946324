"""Every example of docs/partners.md, run in the order of the guide as a partner or an operator would run it, against
the real processes on a broker of their own whose topics carry no prefix (as under `make run`). Shell and Python
examples must succeed and do what they say; the CSV example is the file the command after it sends, saved as Excel
saves it; JSON examples must parse. An example in any other language fails the test until it is run here too."""

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.common import codec, events
from services.common.kafka_admin import create_topics
from services.common.partners import SEEDED_PARTNERS
from services.common.topics import Topics
from services.common.vocabulary import PLATFORM_ADMIN
from services.demo import kbo as demo_kbo
from services.infra import kafka, process, redis_server
from tests.kafka_tools import read_all
from tests.platform import Platform, running_platform

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.S | re.M)
MAKE_RUN_URL = "http://127.0.0.1:8001"
OPERATOR_TOKEN = "operator-token-of-the-docs-test"


@dataclass(frozen=True)
class Example:
    language: str
    text: str
    line: int


def examples() -> list[Example]:
    guide = GUIDE.read_text()
    return [Example(m.group(2), textwrap.dedent(m.group(3)), guide[:m.start()].count("\n") + 1)
            for m in FENCE.finditer(guide)]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    home = tmp_path_factory.mktemp("docs-platform")
    broker = kafka.KafkaNode(home / "kafka", process.free_port(), process.free_port())
    redis = redis_server.RedisNode(home / "redis", process.free_port())
    partners = home / "partners.yaml"
    shutil.copy(SEEDED_PARTNERS, partners)
    kafka.start(broker)
    redis_server.start(redis)
    try:
        asyncio.run(create_topics(broker.bootstrap, Topics("")))
        extra = {"REGISTRATION_PARTNERS_FILE": str(partners), "CONSENT_PARTNERS_FILE": str(partners),
                 "REGISTRATION_ADMIN_TOKEN_SHA256": hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()}
        with running_platform(broker.bootstrap, redis.url, Topics(""), home / "logs", extra_env=extra) as running:
            yield running
    finally:
        kafka.stop(broker)
        redis_server.stop(redis)


def run(example: Example, platform: Platform, workdir: Path) -> subprocess.CompletedProcess[str]:
    text = example.text.replace(MAKE_RUN_URL, platform.registration_url)
    env = {**platform.env, "BUURT_OPERATOR_TOKEN": OPERATOR_TOKEN, "COLUMNS": "200",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    argv = ["bash", "-euo", "pipefail", "-c", text] if example.language == "sh" else [sys.executable, "-c", text]
    return subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_every_example_of_the_partner_guide_runs_against_the_platform(platform: Platform, tmp_path: Path) -> None:
    outputs: list[tuple[Example, subprocess.CompletedProcess[str]]] = []
    for example in examples():
        if example.language == "json":
            json.loads(example.text)
        elif example.language == "csv":  # the file as Excel's "CSV" writes it on a Belgian computer
            (tmp_path / "registrations.csv").write_bytes(example.text.replace("\n", "\r\n").encode("cp1252"))
        elif example.language in ("sh", "python"):
            done = run(example, platform, tmp_path)
            assert done.returncode == 0, f"docs/partners.md line {example.line}:\n{done.stdout}\n{done.stderr}"
            outputs.append((example, done))
        else:
            pytest.fail(f"docs/partners.md line {example.line}: a {example.language} example this test cannot run")

    said = {example.text.split("\n", 1)[0]: done for example, done in outputs}
    sdk = next(done for text, done in said.items() if text.startswith("from buurt_partner"))
    assert sdk.stdout.startswith("listed"), sdk.stdout
    cli = next(done for text, done in said.items() if text.startswith("export BUURT_URL"))
    assert "3 of 3 rows listed" in cli.stderr, cli.stderr
    assert json.loads((tmp_path / "receipt.json").read_text())["records"]
    assert (tmp_path / "report.csv").read_text(encoding="utf-8-sig").count("listed") == 3

    submitted = [codec.decode_partner_event(record.value) for record in
                 asyncio.run(read_all(platform.env["KAFKA_BOOTSTRAP_SERVERS"], Topics("").submitted, expect=7))]
    by_number = {(events.enterprise_number_of(event), event.event_type.value, event.partner_id) for event in submitted}
    assert by_number >= {
        ("0765432146", "registration.submitted", "unizo-winkelhier"),  # the SDK
        ("0712345630", "registration.submitted", "unizo-winkelhier"),  # the spreadsheet's three rows
        ("0712345729", "registration.submitted", "unizo-winkelhier"),
        ("0712345828", "registration.submitted", "unizo-winkelhier"),
        ("0428759497", "registration.submitted", "unizo-winkelhier"),  # curl
        ("0428759497", "consent.withdrawn", PLATFORM_ADMIN),  # the operator
        ("0512345684", "registration.submitted", "vlam-lekkervanbijons"),  # its own Kafka topic
    }, by_number
    registered = {number for number, kind, _ in by_number if kind == "registration.submitted"}
    assert registered == {number for number, *_ in demo_kbo.DOCUMENTED}  # listed under make run: its KBO knows them
