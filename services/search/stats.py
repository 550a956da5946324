"""Privacy-preserving visitor statistics in Redis.

Unique visitors per day and per ISO week are HyperLogLogs of a keyed hash of (IP, user agent); the key (salt) is
random per day (per week for the weekly count) and deleted two days (weeks) later, so a hash can never be traced back
to a visitor once its salt is gone. Neither the IP nor the user agent is ever stored. Also kept: searches per day,
and searches without results with their normalised words (what partners should recruit for).
"""

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from redis.asyncio import Redis

DAY_S = 24 * 3600


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Period:
    label: str
    unique_visitors: int
    searches: int
    zero_result_searches: int


class VisitorStats:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def _salt(self, scope: str, ttl_s: int) -> bytes:
        key = f"{self.prefix}salt:{scope}"
        await self.redis.set(key, os.urandom(32), nx=True, ex=ttl_s)
        return cast(bytes, await self.redis.get(key))

    async def visit(self, ip: str, user_agent: str, at: datetime) -> None:
        day, week = at.date().isoformat(), iso_week(at.date())
        visitor = f"{ip}\n{user_agent}".encode()
        day_id = hmac.new(await self._salt(f"day:{day}", 2 * DAY_S), visitor, hashlib.sha256).hexdigest()[:32]
        week_id = hmac.new(await self._salt(f"week:{week}", 15 * DAY_S), visitor, hashlib.sha256).hexdigest()[:32]
        pipe = self.redis.pipeline(transaction=False)
        pipe.pfadd(f"{self.prefix}visitors:day:{day}", day_id)
        pipe.pfadd(f"{self.prefix}visitors:week:{week}", week_id)
        await pipe.execute()

    def search_keys(self, at: datetime) -> tuple[str, str, str]:
        """Where a search of that day is counted: searches, searches without results, and the normalised words of
        those (the search script increments them in the same round trip as the search)."""
        day = at.date().isoformat()
        return f"{self.prefix}searches:{day}", f"{self.prefix}zero:{day}", f"{self.prefix}zero-terms:{day}"

    async def periods(self, start: date, end: date, granularity: str) -> list[Period]:
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        if granularity == "day":
            groups = [(d.isoformat(), [d]) for d in days]
        else:
            weeks: dict[str, list[date]] = {}
            for d in days:
                weeks.setdefault(iso_week(d), []).append(d)
            groups = list(weeks.items())
        result = []
        for label, members in groups:
            visitors_key = f"{self.prefix}visitors:{granularity}:{label}"
            searches = [int(await self.redis.get(f"{self.prefix}searches:{d.isoformat()}") or 0) for d in members]
            zero = [int(await self.redis.get(f"{self.prefix}zero:{d.isoformat()}") or 0) for d in members]
            result.append(Period(label, int(await self.redis.pfcount(visitors_key)), sum(searches), sum(zero)))
        return result

    async def zero_result_terms(self, day: date, limit: int = 20) -> list[tuple[str, int]]:
        rows = await self.redis.zrevrange(f"{self.prefix}zero-terms:{day.isoformat()}", 0, limit - 1,
                                          withscores=True)
        return [(m.decode(), int(score)) for m, score in cast(list[tuple[bytes, float]], rows)]
