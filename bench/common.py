"""Helpers shared by the benchmark scenarios."""

import statistics
import time
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
