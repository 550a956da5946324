"""``buurt-demo``: post the demo registrations (and a few withdrawals) to a running registration service."""

import asyncio
import os
from datetime import UTC, datetime

import httpx

from services.demo.data import DemoRegistration, generate


async def load(base_url: str, count: int = 300) -> tuple[int, int]:
    """Post every demo registration, then the withdrawals; returns (registrations, withdrawals) accepted."""
    demo = generate(count)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        accepted = sum(await asyncio.gather(*(_post(client, "/v1/registrations", d, d.body) for d in demo)))
        withdrawn = [d for d in demo if d.withdraw]
        now = datetime.now(UTC).isoformat()
        withdrawals = sum(await asyncio.gather(*(
            _post(client, "/v1/withdrawals", d, {"enterprise_number": d.body["enterprise_number"], "withdrawn_at": now})
            for d in withdrawn)))
    return accepted, withdrawals


async def _post(client: httpx.AsyncClient, path: str, demo: DemoRegistration, body: dict[str, object]) -> int:
    response = await client.post(path, json=body, headers={"Authorization": f"Bearer demo-{demo.partner_id}"})
    if response.status_code != 202:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
    return 1


def main() -> None:
    base_url = os.environ.get("REGISTRATION_URL", "http://127.0.0.1:8001")
    accepted, withdrawals = asyncio.run(load(base_url))
    print(f"demo data: {accepted} registrations and {withdrawals} withdrawals accepted")
