"""What must hold after any fault, once the platform has caught up:

1. every 202-accepted submission has exactly one decision and exactly one audit record;
2. the search index holds exactly the businesses whose consent stands (registered, not withdrawn);
3. ``buurt-audit verify`` passes;
4. every partner status agrees with the decisions (listed / withdrawn).
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

import httpx
from redis.asyncio import Redis

from services.common import codec, events
from services.common.topic_reader import read_topic
from tests.chaos.partner import PARTNER, Ledger
from tests.chaos.platform import ChaosPlatform
from tests.samples import signed


@dataclass
class Report:
    accepted: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def check(platform: ChaosPlatform, ledger: Ledger, settle_s: float = 240) -> Report:
    """Wait until the platform agrees with the ledger (or ``settle_s`` passes), then report every disagreement."""
    deadline = time.monotonic() + settle_s
    while True:
        report = asyncio.run(_check(platform, ledger))
        if report.ok or time.monotonic() > deadline:
            break
        time.sleep(2)
    verify = platform.audit("verify")
    if verify.returncode != 0:
        report.findings.append(f"buurt-audit verify failed: {verify.stdout[-500:]} {verify.stderr[-500:]}")
    return report


async def _check(platform: ChaosPlatform, ledger: Ledger) -> Report:
    accepted = set(ledger.registered.values()) | set(ledger.withdrawn.values())
    report = Report(accepted=len(accepted))
    bootstrap, topics = platform.bootstrap, platform.topics
    decisions = Counter(str(codec.decode(events.Decision, r.value).source_event_id)
                        for r in await read_topic(bootstrap, topics.decisions) if r.value)
    audited = Counter(str(codec.decode(events.AuditRecord, r.value).source_event_id)
                      for r in await read_topic(bootstrap, topics.audit) if r.value)
    for name, counts in (("decisions", decisions), ("audit records", audited)):
        wrong = {event: counts[event] for event in accepted if counts[event] != 1}
        if wrong:
            report.findings.append(f"{len(wrong)} accepted events without exactly one of the {name}: "
                                   f"{dict(list(wrong.items())[:5])}")
    redis = Redis.from_url(platform.redis.url)
    try:
        members = cast(list[bytes], await redis.zrange(f"{topics.prefix}buurt:idx:geo", 0, -1))
        indexed = {m.decode() for m in members}
    finally:
        await redis.aclose()
    if indexed != ledger.listed:
        report.findings.append(f"search index differs: {len(ledger.listed - indexed)} missing, "
                               f"{len(indexed - ledger.listed)} that should not be there")
    report.findings += await _statuses(platform.url("buurt-registration"), ledger)
    return report


async def _statuses(url: str, ledger: Ledger) -> list[str]:
    expected = {event: "withdrawn" if number in ledger.withdrawn else "listed"
                for number, event in ledger.registered.items()}
    expected |= {event: "withdrawn" for event in ledger.withdrawn.values()}
    wrong: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for event, status in expected.items():
            path = f"/v1/registrations/{event}"
            response = await client.get(path, headers=signed("GET", path, b"", PARTNER))
            got = response.json().get("status") if response.status_code == 200 else str(response.status_code)
            if got != status:
                wrong[event] = f"{got} (expected {status})"
    return [f"{len(wrong)} partner statuses disagree with the decisions: {dict(list(wrong.items())[:3])}"] if wrong \
        else []
