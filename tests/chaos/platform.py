"""A platform the fault suite may break: its own Kafka broker and Redis (so killing them harms no other test) and
the three services as processes, each of which can be SIGKILLed and started again."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, process, redis_server, stack

SERVICES = ("buurt-registration", "buurt-consent", "buurt-search")


@dataclass
class ChaosPlatform:
    home: Path
    topics: Topics = field(default_factory=lambda: Topics(f"c{uuid.uuid4().hex[:6]}."))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)  # what was done to it, for the summary

    def __post_init__(self) -> None:
        self.broker = kafka.KafkaNode(self.home / "kafka", process.free_port(), process.free_port())
        self.redis = redis_server.RedisNode(self.home / "redis", process.free_port())
        self.ports = {name: process.free_port() for name in SERVICES}
        self.logs = self.home / "logs"

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **stack.local_secrets(self.home), "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "REDIS_URL": self.redis.url, "BUURT_TOPIC_PREFIX": self.topics.prefix,
                "SEARCH_REDIS_PREFIX": f"{self.topics.prefix}buurt:",
                "REGISTRATION_PORT": str(self.ports["buurt-registration"]),
                "CONSENT_WEB_PORT": str(self.ports["buurt-consent"]), "SEARCH_PORT": str(self.ports["buurt-search"]),
                "REGISTRATION_RATE_LIMIT_PER_MINUTE": "1000000", "CONSENT_SESSION_TIMEOUT_S": "6"}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> "ChaosPlatform":
        kafka.start(self.broker)
        redis_server.start(self.redis)
        asyncio.run(create_topics(self.broker.bootstrap, self.topics))
        for name in SERVICES:
            self.start_service(name)
        return self

    def start_service(self, name: str, timeout: float = 120) -> None:
        [proc] = stack.start_services(self.env, self.logs, (name,))
        self.procs[name] = proc
        stack.wait_healthy([f"{self.url(name)}/readyz"], [proc], self.logs, timeout=timeout)

    def kill_service(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)
        self.faults.append(f"SIGKILL {name}")

    def kill_broker(self) -> None:
        process.kill(self.broker.pid_file)
        self.faults.append("SIGKILL Kafka broker")

    def start_broker(self) -> None:
        kafka.start(self.broker)

    def kill_redis(self) -> None:
        process.kill(self.redis.pid_file)
        self.faults.append("SIGKILL Redis")

    def start_redis(self) -> None:
        redis_server.start(self.redis)

    def audit(self, *args: str) -> subprocess.CompletedProcess[str]:
        binary = Path(sys.executable).with_name("buurt-audit")
        return subprocess.run([str(binary), *args], env=self.env, capture_output=True, text=True, timeout=300,
                              check=False)

    def stop(self) -> None:
        stack.stop_services(list(self.procs.values()))
        kafka.stop(self.broker)
        redis_server.stop(self.redis)

