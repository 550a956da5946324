"""The fault sequence: under a steady partner load and a shopper searching all along, each service is SIGKILLed
and restarted, then the broker, then Redis; afterwards the invariants must hold (tests/chaos/invariants.py).

During the broker outage registration must answer 503 within a bound and search keep serving from Redis; during
the Redis outage search must answer 503 (problem+json) and registration too (replay protection fails closed).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.chaos import invariants
from tests.chaos.partner import Shopper, traffic
from tests.chaos.platform import SERVICES, ChaosPlatform

UNAVAILABLE_BOUND_S = 20.0  # no request may wait longer than this to be told 503


@dataclass
class Outcome:
    faults: list[str]
    accepted: int
    findings: list[str] = field(default_factory=list)
    searches: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


def run(platform: ChaosPlatform, rounds: int = 1, rate_per_s: float = 5.0, pause_s: float = 4.0) -> Outcome:
    findings: list[str] = []
    with traffic(platform.url("buurt-registration"), platform.url("buurt-search"), rate_per_s) as (ledger, shopper):
        for _ in range(rounds):
            for name in SERVICES:
                time.sleep(pause_s)
                platform.kill_service(name)
                platform.start_service(name)
                print(f"{time.strftime('%X')} {name} killed and back", flush=True)
            time.sleep(pause_s)
            findings += _outage(platform, shopper, platform.kill_broker, platform.start_broker,
                                expect_search={200}, what="broker")
            time.sleep(pause_s)
            findings += _outage(platform, shopper, platform.kill_redis, platform.start_redis,
                                expect_search={503}, what="Redis")
        time.sleep(pause_s)
    if ledger.slowest_503_s > UNAVAILABLE_BOUND_S:
        findings.append(f"a request waited {ledger.slowest_503_s:.1f} s for its 503 (bound {UNAVAILABLE_BOUND_S} s)")
    hung = shopper.between(0, time.monotonic())[-1]
    if hung:
        findings.append(f"{hung} searches got no answer within 10 s")
    errors = {s: n for s, n in shopper.between(0, time.monotonic()).items() if s >= 500 and s != 503}
    if errors:
        findings.append(f"search answered {errors}: {[shopper.bodies[s] for s in errors]}")
    report = invariants.check(platform, ledger)
    return Outcome(platform.faults, report.accepted, findings + report.findings, len(shopper.answers))


def _outage(platform: ChaosPlatform, shopper: Shopper, kill: Callable[[], None], start: Callable[[], None],
            expect_search: set[int], what: str) -> list[str]:
    kill()
    began = time.monotonic()
    time.sleep(8)  # long enough for clients to notice, for timeouts to fire
    start()
    seen = shopper.between(began + 3, began + 8)  # once the outage is noticed
    if not seen or set(seen) - expect_search:
        return [f"during the {what} outage search answered {dict(seen)}, expected only {sorted(expect_search)}"]
    return []

