"""The search service's admission limit: requests beyond it are refused at once (503, Retry-After, counted), health
checks never, and a freed slot admits the next request."""

import asyncio
import json
from collections.abc import Callable

import httpx
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from services.search.admission import AdmissionLimit


class HeldApp:
    """Answers 200 once released; counts the requests that reached it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.reached = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached += 1
        if scope["path"].startswith("/v1/"):
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def shed() -> float:
    return REGISTRY.get_sample_value("buurt_search_shed_total") or 0.0


async def wait_until(condition: Callable[[], bool], deadline_s: float = 5.0) -> None:
    async with asyncio.timeout(deadline_s):
        while not condition():
            await asyncio.sleep(0.001)


async def test_beyond_the_limit_is_refused_and_a_freed_slot_admits() -> None:
    held = HeldApp()
    app = AdmissionLimit(held, limit=2, retry_after_s=3)
    before = shed()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://search") as client:
        first = asyncio.create_task(client.get("/v1/search?lat=51&lon=4"))
        second = asyncio.create_task(client.get("/v1/search?lat=51&lon=4"))
        await wait_until(lambda: held.reached == 2)

        refused = await client.get("/v1/search?lat=51&lon=4")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "3"
        assert refused.headers["content-type"] == "application/problem+json"
        assert json.loads(refused.content)["type"] == "/problems/busy"
        assert shed() == before + 1
        assert held.reached == 2  # refused before reaching the app

        health = await client.get("/readyz")  # never refused: an overloaded process is alive
        assert health.status_code == 200

        held.release.set()
        assert [r.status_code for r in await asyncio.gather(first, second)] == [200, 200]
        admitted = await client.get("/v1/search?lat=51&lon=4")
        assert admitted.status_code == 200
        assert shed() == before + 1
