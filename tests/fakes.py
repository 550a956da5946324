"""In-memory fakes of the services' ports, for unit tests only; each runs through the same contract test as its real
adapter (tests/integration/*_contract.py), so the two cannot drift."""

from typing import Any

from limits.aio.storage import MemoryStorage

from services.common.supervisor import TaskFactory
from services.registration.errors import BrokerUnavailable, StoreUnavailable
from services.registration.store import Rates, Status


class InMemoryPublisher:
    """Fake for unit tests: records what was published; can be switched to 'broker down'."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes]] = []
        self.down = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return not self.down

    def tasks(self) -> dict[str, TaskFactory]:
        return {}

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        if self.down:
            raise BrokerUnavailable("the event log is unreachable; retry later")
        self.records.append((topic, key, value))


class InMemoryRequestStore:
    """Same contract as RedisRequestStore (tests/integration/test_request_store_contract.py)."""

    def __init__(self) -> None:
        self.signatures: set[str] = set()
        self.rates = Rates(MemoryStorage())
        self.records: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, Status] = {}
        self.latest: dict[str, str] = {}
        self.seen: dict[tuple[str, str], dict[str, float]] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("the request store is unreachable; retry later")

    async def first_use(self, signature: str, ttl_s: int) -> bool:
        self._check()
        if signature in self.signatures:
            return False
        self.signatures.add(signature)
        return True

    async def admit(self, partner_id: str, per_minute: int) -> float | None:
        self._check()
        return await self.rates.admit(partner_id, per_minute)

    async def reserve(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        self._check()
        if key in self.records:
            return self.records[key]
        self.records[key] = {"fingerprint": fingerprint, "response": None}
        return None

    async def complete(self, key: str, fingerprint: str, response: dict[str, Any]) -> None:
        self.records[key] = {"fingerprint": fingerprint, "response": response}

    async def release(self, key: str) -> None:
        self.records.pop(key, None)

    async def put_status(self, event_id: str, status: Status) -> None:
        self._check()
        self.statuses[event_id] = status
        self._index(event_id, status)

    async def put_received(self, statuses: dict[str, Status]) -> None:
        self._check()
        for event_id, status in statuses.items():
            self.statuses.setdefault(event_id, status)
            self._index(event_id, status)

    def _index(self, event_id: str, status: Status) -> None:
        self.seen.setdefault((status.partner_id, status.enterprise_number), {}).setdefault(event_id, status.updated_at)

    async def get_status(self, event_id: str) -> Status | None:
        self._check()
        return self.statuses.get(event_id)

    async def submissions(self, partner_id: str, enterprise_number: str, limit: int) -> list[tuple[str, Status]]:
        self._check()
        seen = self.seen.get((partner_id, enterprise_number), {})
        latest_first = sorted(seen, key=lambda event_id: (seen[event_id], event_id), reverse=True)[:limit]
        return [(event_id, self.statuses[event_id]) for event_id in latest_first]

    async def latest_registration(self, enterprise_number: str, event_id: str | None = None) -> str | None:
        if event_id is not None:
            self.latest[enterprise_number] = event_id
        return self.latest.get(enterprise_number)

    async def ready(self) -> bool:
        return not self.down
