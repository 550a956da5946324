"""Infrastructure for the suite: a real Kafka broker and a real Redis, chosen in this order:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``REDIS_URL`` when set;
2. testcontainers (Kafka in KRaft mode, Redis) when a Docker engine answers;
3. otherwise the project's own local Kafka (jars from Maven Central) and Redis, on free ports in a temp folder.
"""

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, postgres, process, redis_server


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


INFRA_USED: list[str] = []  # which real broker, Redis and PostgreSQL the suite talks to, printed in the summary
FIGURES: list[str] = []  # figures tests measured (search relevance), printed in the summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in INFRA_USED:
        terminalreporter.write_line(f"[infra] {line}")
    for line in FIGURES:
        terminalreporter.write_line(f"[figures] {line}")


@pytest.fixture(scope="session")
def infra_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="session")
def kafka_bootstrap(infra_home: Path) -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        INFRA_USED.append(f"Kafka from KAFKA_BOOTSTRAP_SERVERS={os.environ['KAFKA_BOOTSTRAP_SERVERS']}")
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            INFRA_USED.append(f"Kafka in testcontainers at {container.get_bootstrap_server()}")
            yield container.get_bootstrap_server()
    else:
        node = kafka.KafkaNode(infra_home / "kafka", process.free_port(), process.free_port())
        kafka.start(node)
        INFRA_USED.append(f"Apache Kafka {kafka.KAFKA_VERSION} (KRaft, local jars) at {node.bootstrap}")
        try:
            yield node.bootstrap
        finally:
            kafka.stop(node)


@pytest.fixture(scope="session")
def redis_url(infra_home: Path) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        INFRA_USED.append("Redis from REDIS_URL")
        yield os.environ["REDIS_URL"]
    elif _docker_answers():
        from testcontainers.redis import RedisContainer

        with RedisContainer() as container:
            url = f"redis://{container.get_container_host_ip()}:{container.get_exposed_port(6379)}/0"
            INFRA_USED.append(f"Redis in testcontainers at {url}")
            yield url
    else:
        node = redis_server.RedisNode(infra_home / "redis", process.free_port(), appendonly=False)
        redis_server.start(node)
        INFRA_USED.append(f"redis-server (local) at {node.url}")
        try:
            yield node.url
        finally:
            redis_server.stop(node)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """PostgreSQL (the search relevance baseline): ``POSTGRES_DSN``, testcontainers, or Debian's on a free port."""
    if os.environ.get("POSTGRES_DSN"):
        INFRA_USED.append("PostgreSQL from POSTGRES_DSN")
        yield os.environ["POSTGRES_DSN"]
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            INFRA_USED.append("PostgreSQL in testcontainers")
            yield container.get_connection_url()
    else:
        with postgres.server() as port:
            INFRA_USED.append(f"PostgreSQL 15 (Debian, local) at 127.0.0.1:{port}")
            yield postgres.dsn(port)


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    """A fresh set of the platform's topics under a unique prefix: tests never see each other's records."""
    names = Topics(f"t{uuid.uuid4().hex[:10]}.")
    asyncio.run(create_topics(kafka_bootstrap, names))
    return names


@pytest.fixture
def redis_prefix() -> str:
    return f"test:{uuid.uuid4().hex[:10]}:"
