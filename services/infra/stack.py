"""The local platform of `make run`: broker, Redis, topics, the three services and demo data, under one supervisor."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.consent.crypto import generate_secrets
from services.infra import kafka, redis_server
from services.infra.kafka import InfraError


@dataclass(frozen=True)
class Ports:
    """Default ports, each overridable by its environment variable."""

    search: int = int(os.environ.get("SEARCH_PORT", "8000"))
    registration: int = int(os.environ.get("REGISTRATION_PORT", "8001"))
    consent: int = int(os.environ.get("CONSENT_WEB_PORT", "8002"))
    kafka: int = int(os.environ.get("KAFKA_PORT", "9092"))
    kafka_controller: int = int(os.environ.get("KAFKA_CONTROLLER_PORT", "9093"))
    redis: int = int(os.environ.get("REDIS_PORT", "6379"))


def infra_nodes(data: Path, ports: Ports) -> tuple[kafka.KafkaNode, redis_server.RedisNode]:
    return (kafka.KafkaNode(data / "kafka", ports.kafka, ports.kafka_controller),
            redis_server.RedisNode(data / "redis", ports.redis))


def start_infra(data: Path, ports: Ports) -> tuple[kafka.KafkaNode, redis_server.RedisNode]:
    """Start (or find running) broker and Redis, and create the topics; idempotent."""
    broker, redis_node = infra_nodes(data, ports)
    kafka.start(broker)
    redis_server.start(redis_node)
    asyncio.run(create_topics(broker.bootstrap, Topics()))
    return broker, redis_node


def service_env(broker: kafka.KafkaNode, redis_node: redis_server.RedisNode, data: Path, ports: Ports,
                ) -> dict[str, str]:
    return {**os.environ, **local_secrets(data), "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "REDIS_URL": redis_node.url, "SEARCH_PORT": str(ports.search),
            "REGISTRATION_PORT": str(ports.registration), "CONSENT_WEB_PORT": str(ports.consent)}


def local_secrets(data: Path) -> dict[str, str]:
    """The consent worker's master and signing keys for this installation, generated once (file mode 0600).

    Losing them makes the encrypted audit data unreadable and the checkpoints unverifiable: back the file up.
    """
    path = data / "secrets.env"
    if not path.exists():
        master, signing = generate_secrets()
        data.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"CONSENT_MASTER_KEY={master}\nCONSENT_SIGNING_KEY={signing}\n")
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs}


SERVICES = ("buurt-registration", "buurt-consent", "buurt-search")


def start_services(env: dict[str, str], logs: Path, names: tuple[str, ...] = SERVICES,
                   ) -> list[subprocess.Popen[bytes]]:
    """Start the service entry points of this environment's venv, each logging to ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    procs = []
    for name in names:
        with (logs / f"{name}.log").open("ab") as log:
            procs.append(subprocess.Popen([str(bin_dir / name)], env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
    return procs


def wait_healthy(urls: list[str], procs: list[subprocess.Popen[bytes]], logs: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise InfraError(f"a service exited during start-up; see the logs under {logs}")
        pending = [u for u in pending if not _ok(u)]
        time.sleep(0.5)
    if pending:
        raise InfraError(f"not ready after {timeout:.0f}s: {', '.join(pending)}")


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop_services(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
