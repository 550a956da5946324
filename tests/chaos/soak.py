"""Soak: mixed registrations, withdrawals and searches for a while at about half the measured capacity; the
consent worker's lag must stay bounded and no service's memory may grow by more than 10 %."""

import asyncio
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.common.topic_reader import partitions
from services.infra import process
from tests.chaos import invariants
from tests.chaos.partner import traffic
from tests.chaos.platform import SERVICES, ChaosPlatform

WARM_UP_S = 60  # memory is compared from here on: imports, pools and caches are in place by then
MAX_GROWTH = 0.10


@dataclass
class SoakReport:
    seconds: float
    accepted: int = 0
    searches: int = 0
    max_lag: int = 0
    memory_mib: dict[str, tuple[float, float]] = field(default_factory=dict)  # after warm-up, at the end
    findings: list[str] = field(default_factory=list)


async def consent_lag(platform: ChaosPlatform) -> int:
    """Input records the consent worker has not committed yet."""
    bootstrap, topic = platform.bootstrap, platform.topics.submitted
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{platform.topics.prefix}buurt-consent")
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in await partitions(bootstrap, topic)])
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


def run(platform: ChaosPlatform, seconds: float, rate_per_s: float, max_lag: int) -> SoakReport:
    report = SoakReport(seconds)
    warm: dict[str, float] = {}
    with traffic(platform.url("buurt-registration"), platform.url("buurt-search"), rate_per_s) as (ledger, shopper):
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(10)
            report.max_lag = max(report.max_lag, asyncio.run(consent_lag(platform)))
            if not warm and time.monotonic() - started >= WARM_UP_S:
                warm = {name: process.rss_mib(platform.procs[name].pid) for name in SERVICES}
    end = {name: process.rss_mib(platform.procs[name].pid) for name in SERVICES}
    report.memory_mib = {name: (warm.get(name, end[name]), end[name]) for name in SERVICES}
    for name, (before, after) in report.memory_mib.items():
        if after > before * (1 + MAX_GROWTH):
            report.findings.append(f"{name} grew from {before} to {after} MiB")
    if report.max_lag > max_lag:
        report.findings.append(f"consent lag reached {report.max_lag} records (bound {max_lag})")
    checked = invariants.check(platform, ledger)
    report.accepted, report.searches = checked.accepted, len(shopper.answers)
    report.findings += checked.findings
    return report
