"""Runs the three services as real processes against the test broker and Redis (shared by e2e tests)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.topics import Topics
from services.infra import process, stack


@dataclass(frozen=True)
class Platform:
    topics: Topics
    search_url: str
    registration_url: str
    consent_url: str
    logs: Path
    env: dict[str, str]
    pids: dict[str, int]

    def audit(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the auditors' CLI against this platform's topics."""
        binary = Path(sys.executable).with_name("buurt-audit")
        return subprocess.run([str(binary), *args], env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)


@contextmanager
def running_platform(kafka_bootstrap: str, redis_url: str, topics: Topics, logs: Path,
                     names: tuple[str, ...] = ("buurt-registration", "buurt-consent", "buurt-search"),
                     extra_env: dict[str, str] | None = None) -> Iterator[Platform]:
    ports = stack.Ports(search=process.free_port(), registration=process.free_port(), consent=process.free_port())
    env = {**os.environ, **stack.local_secrets(logs), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "REDIS_URL": redis_url,
           "BUURT_TOPIC_PREFIX": topics.prefix, "SEARCH_REDIS_PREFIX": f"{topics.prefix}buurt:",
           "SEARCH_PORT": str(ports.search), "REGISTRATION_PORT": str(ports.registration),
           "CONSENT_WEB_PORT": str(ports.consent), **(extra_env or {})}
    procs = stack.start_services(env, logs, names)
    urls = {"buurt-search": f"http://127.0.0.1:{ports.search}", "buurt-consent": f"http://127.0.0.1:{ports.consent}",
            "buurt-registration": f"http://127.0.0.1:{ports.registration}"}
    try:
        stack.wait_healthy([f"{urls[n]}/readyz" for n in names], procs, logs, timeout=120)
        yield Platform(topics, urls["buurt-search"], urls["buurt-registration"], urls["buurt-consent"], logs, env,
                       {name: proc.pid for name, proc in zip(names, procs, strict=True)})
    finally:
        stack.stop_services(procs)
