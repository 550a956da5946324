"""Admission control: a bounded number of requests in flight per worker process; the ones beyond it are answered
503 with ``Retry-After`` at once, and counted.

Without a bound an overload queues requests inside the process, each waiting on Redis behind all the others, until
they fail on Redis's socket timeout; with it, the requests admitted keep their latency, the others are told to
come back, and the service recovers the moment the load drops. Health, metrics and static files are never refused:
the orchestrator must see an overloaded process as alive.
"""

from prometheus_client import Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.problems import problem

SHED = Counter("buurt_search_shed_total", "Requests refused by the admission limit (503, Retry-After)")
IN_FLIGHT = Gauge("buurt_search_in_flight", "Requests being served under the admission limit",
                  multiprocess_mode="livesum")
EXEMPT = ("/healthz", "/readyz", "/metrics", "/static/")


class AdmissionLimit:
    def __init__(self, app: ASGIApp, limit: int, retry_after_s: int = 1) -> None:
        self.app, self.limit, self.retry_after_s = app, limit, retry_after_s
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            SHED.inc()
            refused = problem(503, "Busy", "the search service is at capacity; retry after the delay given",
                              type_="/problems/busy", headers={"Retry-After": str(self.retry_after_s)})
            await refused(scope, receive, send)
            return
        self.in_flight += 1
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            IN_FLIGHT.dec()
