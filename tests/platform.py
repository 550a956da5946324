"""Runs the three services as real processes against the test broker and Redis (shared by e2e tests)."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from services.common.topics import Topics
from services.infra import process, stack
from tests.samples import GENT, PARTNER, signed


@dataclass(frozen=True)
class Platform:
    topics: Topics
    search_url: str
    registration_url: str
    consent_url: str
    logs: Path
    env: dict[str, str]
    pids: dict[str, int]

    def audit(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the auditors' CLI against this platform's topics (``env``: variables of its own, its principal)."""
        binary = Path(sys.executable).with_name("buurt-audit")
        return subprocess.run([str(binary), *args], env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=120, check=False)


@contextmanager
def running_platform(kafka_bootstrap: str, redis_url: str, topics: Topics, logs: Path,
                     names: tuple[str, ...] = ("buurt-registration", "buurt-consent", "buurt-search"),
                     extra_env: dict[str, str] | None = None, own: dict[str, dict[str, str]] | None = None,
                     ) -> Iterator[Platform]:
    ports = stack.Ports(search=process.free_port(), registration=process.free_port(), consent=process.free_port(),
                        insights=process.free_port())
    env = {**os.environ, **stack.local_secrets(logs), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "REDIS_URL": redis_url,
           "BUURT_TOPIC_PREFIX": topics.prefix, "SEARCH_REDIS_PREFIX": f"{topics.prefix}buurt:",
           "SEARCH_PORT": str(ports.search), "REGISTRATION_PORT": str(ports.registration),
           "CONSENT_WEB_PORT": str(ports.consent), "INSIGHTS_WEB_PORT": str(ports.insights),
           "INSIGHTS_DATA_DIR": str(logs / "insights"), "INSIGHTS_REDIS_PREFIX": f"{topics.prefix}buurt:",
           "REGISTRATION_INSIGHTS_REDIS_PREFIX": f"{topics.prefix}buurt:",
           "REGISTRATION_SEARCH_REDIS_PREFIX": f"{topics.prefix}buurt:", "REGISTRATION_KBO_DIR": str(logs / "kbo"),
           "XDG_CACHE_HOME": str(logs / "cache"),  # buurt-audit's proof index
           "REGISTRATION_PROOFS_DIR": str(logs / "proofs"), "REGISTRATION_PROOFS_INTERVAL_S": "0.5",
           **(extra_env or {})}
    procs = stack.start_services(env, logs, names, own)
    urls = {"buurt-search": f"http://127.0.0.1:{ports.search}", "buurt-consent": f"http://127.0.0.1:{ports.consent}",
            "buurt-registration": f"http://127.0.0.1:{ports.registration}",
            "buurt-insights": f"http://127.0.0.1:{ports.insights}"}
    try:
        stack.wait_healthy([f"{urls[n]}/readyz" for n in names], procs, logs, timeout=120)
        yield Platform(topics, urls["buurt-search"], urls["buurt-registration"], urls["buurt-consent"], logs, env,
                       {name: proc.pid for name, proc in zip(names, procs, strict=True)})
    finally:
        stack.stop_services(procs)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll a condition until it holds or the deadline passes (never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def post(platform: Platform, path: str, body: dict[str, Any], partner: str = PARTNER, expect: int = 202) -> str:
    """A signed partner request; the id of the accepted event."""
    raw = json.dumps(body).encode()
    response = httpx.post(f"{platform.registration_url}{path}", content=raw,
                          headers=signed("POST", path, raw, partner), timeout=10)
    assert response.status_code == expect, response.text
    return str(response.json().get("id"))


def submission(platform: Platform, event_id: str, partner: str = PARTNER) -> dict[str, Any]:
    """The partner's view of one of its submissions (status, reasons, ...)."""
    path = f"/v1/registrations/{event_id}"
    response = httpx.get(f"{platform.registration_url}{path}", headers=signed("GET", path, b"", partner), timeout=10)
    body: dict[str, Any] = response.json()
    return body


def status_of(platform: Platform, event_id: str, partner: str = PARTNER) -> str:
    return str(submission(platform, event_id, partner).get("status"))


def search_near_gent(platform: Platform, radius_km: float = 5) -> list[dict[str, Any]]:
    response = httpx.get(f"{platform.search_url}/v1/search",
                         params={"lat": GENT["lat"], "lon": GENT["lon"], "radius_km": radius_km, "size": 100})
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results
