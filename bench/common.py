"""Helpers shared by the benchmark scenarios."""

import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from services.common import codec, enterprise
from services.common.events import ConsentWithdrawn
from tests.samples import wire_registration


def ms(samples: list[float], pct: int) -> float:
    return round(statistics.quantiles(samples, n=100)[pct - 1] * 1000, 3) if len(samples) > 1 else 0.0


async def timed(awaitable: Any) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


def wire_events(count: int, first: int | None = None) -> list[tuple[bytes, bytes]]:
    """Encoded canonical registrations keyed by enterprise number, as partners' Kafka exports carry them: one
    validated sample, copied with a new event id and a new (valid, distinct) enterprise number each, since building
    a million through pydantic would take minutes. Numbers follow from ``first`` (random when not given)."""
    template: dict[str, Any] = json.loads(codec.encode(wire_registration()))
    start = random.randrange(10**6) if first is None else first  # noqa: S311 - not security
    events = []
    for n in range(start, start + count):
        number = number_of(n)
        template["event_id"], template["business"]["enterprise_number"] = str(uuid.uuid4()), number
        events.append((codec.key(number), json.dumps(template).encode()))
    return events


def number_of(n: int) -> str:
    """The n-th valid enterprise number of the benchmarks (0 followed by n, then its mod-97 check digits)."""
    return enterprise.with_check_digits(f"0{n % 10**7:07d}")


def wire_withdrawals(first: int, count: int) -> list[tuple[bytes, bytes]]:
    """Withdrawals of the businesses ``wire_events(count, first)`` registered, by the partner that registered them."""
    partner = wire_registration().partner_id
    return [(codec.key(number_of(n)), codec.encode(ConsentWithdrawn(
        event_id=uuid.uuid4(), partner_id=partner, submitted_at=datetime.now(UTC), enterprise_number=number_of(n),
        withdrawn_at=datetime.now(UTC)))) for n in range(first, first + count)]
