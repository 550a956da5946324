"""Helpers shared by the benchmark scenarios."""

import statistics
import time
from pathlib import Path
from typing import Any

from services.common import codec
from services.common.events import RegistrationSubmitted
from tests.samples import wire_registration


def ms(samples: list[float], pct: int) -> float:
    return round(statistics.quantiles(samples, n=100)[pct - 1] * 1000, 3) if len(samples) > 1 else 0.0


async def timed(awaitable: Any) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


def wire_events(count: int) -> list[tuple[bytes, bytes]]:
    """Encoded canonical registrations keyed by enterprise number, as partners' Kafka exports carry them."""
    events: list[RegistrationSubmitted] = [wire_registration() for _ in range(count)]
    return [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in events]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MiB."""
    proc = Path(f"/proc/{pid}")
    kib = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    children = (proc / "task" / str(pid) / "children").read_text().split()
    return round(kib / 1024 + sum(rss_mib(int(child)) for child in children), 1)
