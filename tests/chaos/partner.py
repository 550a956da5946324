"""A well-behaved partner under faults: it signs every request, keeps one Idempotency-Key per submission and
retries (transport errors, 5xx, 409 "in progress", 429) until it gets its answer. What it got a 202 for is the
ledger the invariants are checked against."""

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from tests.samples import fresh_enterprise_number, registration_body, signed

PARTNER = "unizo-winkelhier"
RETRY_FOR_S = 180.0
RETRY_PAUSE_S = 1.1  # a retry is signed with a new timestamp (seconds): the same one would be a replay (401)


@dataclass
class Ledger:
    registered: dict[str, str] = field(default_factory=dict)  # enterprise number -> accepted event id
    withdrawn: dict[str, str] = field(default_factory=dict)  # enterprise number -> accepted withdrawal id
    rejected: int = 0  # non-consenting submissions refused with 422 (nothing to account for)
    slowest_503_s: float = 0.0  # the longest a request took to be told "unavailable"
    unavailable_at: list[float] = field(default_factory=list)  # when each 503 came (monotonic)
    answers: dict[int, int] = field(default_factory=dict)  # status code -> count, over every attempt

    @property
    def listed(self) -> set[str]:
        return set(self.registered) - set(self.withdrawn)


class Partner:
    """Submits to the registration replicas in turn (``base_urls``)."""

    def __init__(self, base_urls: list[str], ledger: Ledger, concurrency: int = 8) -> None:
        self.base_urls, self.ledger = base_urls, ledger
        self.slots = asyncio.Semaphore(concurrency)

    async def register(self, client: httpx.AsyncClient, withdraw: bool = False) -> None:
        number = fresh_enterprise_number()
        async with self.slots:
            event_id = await self._submit(client, "/v1/registrations", registration_body(number))
            self.ledger.registered[number] = event_id
            if withdraw:
                body = {"enterprise_number": number, "withdrawn_at": datetime.now(UTC).isoformat()}
                self.ledger.withdrawn[number] = await self._submit(client, "/v1/withdrawals", body)

    async def _submit(self, client: httpx.AsyncClient, path: str, document: Mapping[str, object]) -> str:
        body, key = json.dumps(document).encode(), str(uuid.uuid4())
        deadline = time.monotonic() + RETRY_FOR_S
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = await client.post(path, content=body,
                                             headers={**signed("POST", path, body, PARTNER), "Idempotency-Key": key})
            except httpx.TransportError:
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            self.ledger.answers[response.status_code] = self.ledger.answers.get(response.status_code, 0) + 1
            if response.status_code == 202:
                return str(response.json()["id"])
            if response.status_code == 503:
                self.ledger.slowest_503_s = max(self.ledger.slowest_503_s, time.monotonic() - started)
                self.ledger.unavailable_at.append(time.monotonic())
            if response.status_code not in (409, 429, 500, 502, 503, 504):
                raise AssertionError(f"{path}: {response.status_code} {response.text}")
            await asyncio.sleep(RETRY_PAUSE_S)
        raise AssertionError(f"{path}: no answer within {RETRY_FOR_S} s")

    async def run(self, stop: threading.Event, rate_per_s: float, withdraw_every: int = 5) -> None:
        """Submit registrations at about ``rate_per_s`` until ``stop``, withdrawing every ``withdraw_every``-th;
        then wait for every submission to be answered."""
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
                       for url in self.base_urls]
            tasks, n = [], 0
            while not stop.is_set():
                client = clients[n % len(clients)]
                tasks.append(asyncio.create_task(self.register(client, withdraw=n % withdraw_every == 0)))
                n += 1
                await asyncio.sleep(1 / rate_per_s)
            await asyncio.gather(*tasks)


class Shopper:
    """Searches continuously and notes every answer's time and status (0: connection refused, the service is
    down; -1: no answer within 10 s, which must never happen)."""

    def __init__(self, base_urls: list[str]) -> None:
        self.base_urls = base_urls  # the search replicas, asked in turn
        self.answers: list[tuple[float, int]] = []
        self.bodies: dict[int, str] = {}  # one body per status, for the report

    async def run(self, stop: threading.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
                       for url in self.base_urls]
            while not stop.is_set():
                client = clients[len(self.answers) % len(clients)]
                try:
                    response = await client.get("/v1/search", params={"lat": 51.05, "lon": 3.72, "radius_km": 10})
                    status = response.status_code
                    self.bodies.setdefault(status, response.text[:300])
                except httpx.TimeoutException:
                    status = -1
                except httpx.TransportError:
                    status = 0
                self.answers.append((time.monotonic(), status))
                await asyncio.sleep(0.05)

    def between(self, start: float, end: float) -> Counter[int]:
        return Counter(status for at, status in self.answers if start <= at <= end)


@contextmanager
def traffic(registration: str | list[str], search: str | list[str], rate_per_s: float,
            ) -> Iterator[tuple[Ledger, Shopper]]:
    """A partner submitting and a shopper searching in the background until the block ends; then every
    submission is answered (the ledger is complete). A refusal the partner cannot retry (say a 403) ends the
    partner's thread: it is raised here, so that no invariant is checked against an incomplete ledger. Several URLs
    of a service: its replicas, taken in turn."""
    ledger, stop = Ledger(), threading.Event()
    partner = Partner([registration] if isinstance(registration, str) else registration, ledger)
    shopper = Shopper([search] if isinstance(search, str) else search)
    failures: list[BaseException] = []

    def background(work: Callable[[], Coroutine[object, object, None]]) -> threading.Thread:
        def run() -> None:
            try:
                asyncio.run(work())
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread below
                failures.append(exc)
        return threading.Thread(target=run)

    load = [background(lambda: partner.run(stop, rate_per_s)), background(lambda: shopper.run(stop))]
    for thread in load:
        thread.start()
    try:
        yield ledger, shopper
    finally:
        stop.set()
        for thread in load:
            thread.join(timeout=300)
    if failures:
        raise RuntimeError("the background partner or shopper failed; the ledger is incomplete") from failures[0]
