"""``buurt-demo``: load the demo data into a running platform the way partners would send it.

Consenting registrations go through the partner API, signed, each partner in its own format (the marketing board's
in Dutch field names, the NSZ in batches); registrations without listing consent cannot pass the API (422), so they
arrive as a partner's Kafka export would, straight on ``registrations.submitted``, and the consent worker rejects them
with reason codes. A few businesses then withdraw.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaProducer

from services.common import codec, events
from services.common.topics import Topics
from services.demo.data import DemoRegistration, as_vlam, generate
from services.registration.client import signed_headers
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn


async def load(registration_url: str, bootstrap: str, topics: Topics, count: int = 300) -> tuple[int, int, int]:
    """Returns (accepted over HTTP, sent over Kafka, withdrawals)."""
    demo = generate(count)
    consenting = [d for d in demo if "listing" in d.body["consent"]["purposes"]]
    refused = [d for d in demo if d not in consenting]
    async with httpx.AsyncClient(base_url=registration_url, timeout=60) as client:
        batched = [d for d in consenting if d.partner_id == "nsz-koopvanuitjekot"]
        singles = [d for d in consenting if d not in batched]
        await asyncio.gather(*(_post(client, d.partner_id, "/v1/registrations", _native(d)) for d in singles))
        batch = await _post(client, "nsz-koopvanuitjekot", "/v1/registrations:batch",
                            {"registrations": [d.body for d in batched]}, expect=200)
        await _produce_unconsented(bootstrap, topics, refused)
        now = datetime.now(UTC).isoformat()
        withdrawn = [d for d in demo if d.withdraw]
        await asyncio.gather(*(_post(client, d.partner_id, "/v1/withdrawals",
                                     {"enterprise_number": d.body["enterprise_number"], "withdrawn_at": now})
                               for d in withdrawn))
    return len(singles) + int(batch["accepted"]), len(refused), len(withdrawn)


def _native(demo: DemoRegistration) -> dict[str, Any]:
    return as_vlam(demo.body) if demo.partner_id.startswith("vlam-") else demo.body


async def _post(client: httpx.AsyncClient, partner_id: str, path: str, body: dict[str, Any],
                expect: int = 202) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    headers = signed_headers(f"demo-{partner_id}", f"demo-secret-{partner_id}", "POST", path, raw)
    response = await client.post(path, content=raw, headers=headers)
    if response.status_code != expect:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
    return dict(response.json())


async def _produce_unconsented(bootstrap: str, topics: Topics, refused: list[DemoRegistration]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for demo in refused:
            event = kafka_export_event(demo)
            await producer.send_and_wait(topics.submitted, codec.encode(event),
                                         key=codec.key(event.business.enterprise_number))
    finally:
        await producer.stop()


def kafka_export_event(demo: DemoRegistration) -> events.RegistrationSubmitted:
    """The wire event a partner's Kafka export carries for this registration (its consent purposes as they are,
    so also without 'listing', which the HTTP intake would refuse)."""
    body = {**demo.body, "consent": {**demo.body["consent"], "purposes": ["listing"]}}
    event = build_submitted(RegistrationIn.model_validate(body), demo.partner_id, uuid.uuid4(), datetime.now(UTC))
    assert event.consent is not None
    purposes = tuple(demo.body["consent"]["purposes"])
    return event.model_copy(update={"consent": event.consent.model_copy(update={"purposes": purposes})})


app = typer.Typer(add_completion=False)


@app.command()
def load_demo(registration_url: Annotated[str, typer.Option(envvar="REGISTRATION_URL")] = "http://127.0.0.1:8001",
              bootstrap: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:9092",
              prefix: Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX")] = "",
              count: Annotated[int, typer.Option(min=10, max=100_000)] = 300) -> None:
    """Load the demo registrations into a running platform, the way partners send them."""
    accepted, refused, withdrawals = asyncio.run(load(registration_url, bootstrap, Topics(prefix), count))
    print(f"demo data: {accepted} registrations accepted, {refused} without consent, {withdrawals} withdrawals")


def main() -> None:
    app()
