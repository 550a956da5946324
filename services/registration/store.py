"""Request state in Redis: seen signatures (replay protection), idempotency records, rate-limit windows and the
status of each submission. A port with its Redis adapter (the unit tests' fake: tests/fakes.py)."""

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage as RateStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.common.vocabulary import Reason, SubmissionStatus
from services.registration.errors import StoreUnavailable

STATUS_TTL_S = 400 * 24 * 3600  # a partner can look a submission up for more than a year
IDEMPOTENCY_TTL_S = 24 * 3600
# A request in progress holds its Idempotency-Key this long at most: if the service dies mid-request, the partner's
# retry is answered 409 "in progress" until then, and is then carried out (a longer hold would lock the key for as
# long after a crash).
IN_PROGRESS_TTL_S = 60


@dataclass(frozen=True)
class Status:
    partner_id: str
    enterprise_number: str
    status: SubmissionStatus
    reasons: tuple[Reason, ...] = ()
    updated_at: float = 0.0
    kbo_extract: int | None = None  # the KBO snapshot a registration was checked against
    kbo_snapshot_date: str | None = None


class RequestStore(Protocol):
    async def first_use(self, signature: str, ttl_s: int) -> bool:
        """True the first time a signature is seen within ttl_s."""

    async def admit(self, partner_id: str, per_minute: int) -> float | None:
        """Count one request of the partner against its limit over the last 60 seconds (a moving window, so no
        burst of twice the limit across a window's edge); None when admitted, else the seconds until it would be."""

    async def reserve(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """Claim an idempotency key; returns the earlier record when the key was used before."""

    async def complete(self, key: str, fingerprint: str, response: dict[str, Any]) -> None: ...
    async def release(self, key: str) -> None: ...
    async def put_status(self, event_id: str, status: Status) -> None: ...
    async def put_received(self, statuses: dict[str, Status], forwarded: Iterable[tuple[str, str]] = ()) -> None:
        """The first status of newly accepted events and the (enterprise number, partner) pairs of the registrations
        among them as forwarders, in one round trip; a decision that was stored first (the consent worker can be
        quicker than the intake's own write) is kept. When the write fails (StoreUnavailable) the store keeps them
        and writes them with a later call; ``forwarded_by`` counts them meanwhile: a partner told its registration
        was accepted is never refused its withdrawal because the store was down."""

    async def get_status(self, event_id: str) -> Status | None: ...
    async def submissions(self, partner_id: str, enterprise_number: str, limit: int) -> list[tuple[str, Status]]:
        """The partner's submissions about one business with their statuses, latest first."""

    async def latest_registration(self, enterprise_number: str, event_id: str | None = None) -> str | None:
        """Remember (when event_id is given) or recall the latest listed registration of a business."""

    async def add_forwarders(self, enterprise_number: str, partner_ids: Iterable[str]) -> None:
        """Remember partners that forwarded a registration of the business (the set never shrinks)."""

    async def forwarded_by(self, enterprise_number: str, partner_id: str) -> bool: ...
    async def ready(self) -> bool: ...


UNWRITTEN_MAX = 100_000  # receipts kept through an outage; beyond, the forwarders follower must catch up alone
Receipts = tuple[dict[str, Status], list[tuple[str, str]]]


class RedisRequestStore:
    def __init__(self, redis: Redis, prefix: str, rate_storage: RateStorage) -> None:
        self.redis = redis
        self.prefix = prefix
        self.rates = Rates(rate_storage)
        self.unwritten: list[Receipts] = []  # put_received's writes that failed, oldest first

    async def first_use(self, signature: str, ttl_s: int) -> bool:
        return bool(await self._call(self.redis.set(f"{self.prefix}sig:{signature}", b"1", nx=True, ex=ttl_s)))

    async def admit(self, partner_id: str, per_minute: int) -> float | None:
        return await self.rates.admit(partner_id, per_minute)

    async def reserve(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        record = json.dumps({"fingerprint": fingerprint, "response": None})
        full = f"{self.prefix}idem:{key}"
        if await self._call(self.redis.set(full, record, nx=True, ex=IN_PROGRESS_TTL_S)):
            return None
        existing = await self._call(self.redis.get(full))
        return json.loads(existing) if existing else None

    async def complete(self, key: str, fingerprint: str, response: dict[str, Any]) -> None:
        record = json.dumps({"fingerprint": fingerprint, "response": response})
        await self._call(self.redis.set(f"{self.prefix}idem:{key}", record, ex=IDEMPOTENCY_TTL_S))

    async def release(self, key: str) -> None:
        await self._call(self.redis.delete(f"{self.prefix}idem:{key}"))

    async def put_status(self, event_id: str, status: Status) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(f"{self.prefix}status:{event_id}", _dump(status), ex=STATUS_TTL_S)
        self._index(pipe, event_id, status)
        await self._call(pipe.execute())

    async def put_received(self, statuses: dict[str, Status], forwarded: Iterable[tuple[str, str]] = ()) -> None:
        await self._write((statuses, list(forwarded)))

    async def _write(self, receipt: Receipts | None = None) -> None:
        """This receipt and those kept from failed writes (none, normally), in one round trip; on failure this one
        is kept too. Only the kept ones are written again, so concurrent requests never write each other's."""
        kept = list(self.unwritten)
        batches = kept + ([receipt] if receipt else [])
        if not batches:
            return
        pipe = self.redis.pipeline(transaction=False)
        for statuses, forwarded in batches:
            for event_id, status in statuses.items():
                pipe.set(f"{self.prefix}status:{event_id}", _dump(status), ex=STATUS_TTL_S, nx=True)
                self._index(pipe, event_id, status)
            for enterprise_number, partner_id in forwarded:
                pipe.sadd(f"{self.prefix}forwarders:{enterprise_number}", partner_id)
        try:
            await self._call(pipe.execute())
        except StoreUnavailable:
            if receipt:
                self.unwritten.append(receipt)
                del self.unwritten[:-UNWRITTEN_MAX]
            raise
        written = {id(batch) for batch in kept}
        self.unwritten = [batch for batch in self.unwritten if id(batch) not in written]

    def _index(self, pipe: Any, event_id: str, status: Status) -> None:
        """Remember the event under its partner and business, ordered by when it was first seen."""
        key = self._submissions_key(status.partner_id, status.enterprise_number)
        pipe.zadd(key, {event_id: status.updated_at}, nx=True)
        pipe.expire(key, STATUS_TTL_S)

    def _submissions_key(self, partner_id: str, enterprise_number: str) -> str:
        return f"{self.prefix}submissions:{partner_id}:{enterprise_number}"

    async def get_status(self, event_id: str) -> Status | None:
        await self._write()
        raw = await self._call(self.redis.get(f"{self.prefix}status:{event_id}"))
        return None if raw is None else _load(raw)

    async def submissions(self, partner_id: str, enterprise_number: str, limit: int) -> list[tuple[str, Status]]:
        ids = [i.decode() for i in await self._call(
            self.redis.zrevrange(self._submissions_key(partner_id, enterprise_number), 0, limit - 1))]
        raws = await self._call(self.redis.mget([f"{self.prefix}status:{i}" for i in ids])) if ids else []
        return [(event_id, _load(raw)) for event_id, raw in zip(ids, raws, strict=True) if raw is not None]

    async def latest_registration(self, enterprise_number: str, event_id: str | None = None) -> str | None:
        key = f"{self.prefix}latest:{enterprise_number}"
        if event_id is not None:
            await self._call(self.redis.set(key, event_id, ex=STATUS_TTL_S))
            return event_id
        raw = await self._call(self.redis.get(key))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def add_forwarders(self, enterprise_number: str, partner_ids: Iterable[str]) -> None:
        partners = list(partner_ids)
        if partners:
            await self._call(self.redis.sadd(f"{self.prefix}forwarders:{enterprise_number}", *partners))

    async def forwarded_by(self, enterprise_number: str, partner_id: str) -> bool:
        if any((enterprise_number, partner_id) in forwarded for _, forwarded in self.unwritten):
            return True
        return bool(await self._call(self.redis.sismember(f"{self.prefix}forwarders:{enterprise_number}",
                                                          partner_id)))

    async def ready(self) -> bool:
        return bool(await self.redis.ping())

    @staticmethod
    async def _call(awaitable: Any) -> Any:
        try:
            return await awaitable
        except (RedisError, OSError):
            raise StoreUnavailable("the request store is unreachable; retry later") from None


class Rates:
    """Partners' rate limits with the ``limits`` library: a moving window over any of its storages (Redis in the
    service, memory in the unit tests' fake)."""

    def __init__(self, storage: RateStorage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    async def admit(self, partner_id: str, per_minute: int) -> float | None:
        limit = RateLimitItemPerMinute(per_minute)
        try:
            if await self.limiter.hit(limit, partner_id):
                return None
            reset_at, _ = await self.limiter.get_window_stats(limit, partner_id)
        except (StorageError, RedisError, OSError):
            raise StoreUnavailable("the request store is unreachable; retry later") from None
        return max(1.0, reset_at - time.time())


def _dump(status: Status) -> str:
    return json.dumps({**status.__dict__, "reasons": list(status.reasons)})


def _load(raw: bytes | str) -> Status:
    data = json.loads(raw)
    return Status(**{**data, "status": SubmissionStatus(data["status"]),
                     "reasons": tuple(Reason(r) for r in data["reasons"])})
