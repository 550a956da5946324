"""``buurt-demo``: load the demo data into a running platform the way partners send it.

Each partner in its own way: UNIZO and the municipalities post signed registrations, the NSZ a batch, the
marketing board's farm programme its own Dutch records over HTTP, and its food programme (which has Kafka access)
CloudEvents in binary mode on its ingress topic. Registrations without listing consent are refused by the intake:
a 422 over HTTP, a dead letter on the board's ingress DLQ. A few businesses then withdraw, through the partner that
registered them.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaProducer

from services.common import events, kafka_client
from services.common.topics import Topics, ingress
from services.demo.data import DemoRegistration, as_vlam, generate
from services.registration.client import signed_headers
from services.registration.intake import build_submitted
from services.registration.models import RegistrationIn

INGRESS_PARTNER = "vlam-lekkervanbijons"


@dataclass(frozen=True)
class Loaded:
    accepted: int  # registrations accepted over HTTP
    refused: int  # registrations without listing consent, refused by the HTTP intake
    over_kafka: int  # CloudEvents sent to the board's ingress topic (the intake takes or dead-letters them)
    withdrawals: int


async def load(registration_url: str, bootstrap: str, topics: Topics, count: int = 300) -> Loaded:
    demo = generate(count)
    over_kafka = [d for d in demo if d.partner_id == INGRESS_PARTNER]
    over_http = [d for d in demo if d not in over_kafka]
    consenting = [d for d in over_http if "listing" in d.body["consent"]["purposes"]]
    refused = [d for d in over_http if d not in consenting]
    async with httpx.AsyncClient(base_url=registration_url, timeout=60) as client:
        batched = [d for d in consenting if d.partner_id == "nsz-koopvanuitjekot"]
        singles = [d for d in consenting if d not in batched]
        await asyncio.gather(*(_post(client, d.partner_id, "/v1/registrations", _native(d)) for d in singles))
        batch = await _post(client, "nsz-koopvanuitjekot", "/v1/registrations:batch",
                            {"registrations": [d.body for d in batched]}, expect=200)
        await asyncio.gather(*(_post(client, d.partner_id, "/v1/registrations", _native(d), expect=422)
                               for d in refused))
        now = datetime.now(UTC).isoformat()
        withdrawn = [d for d in over_http if d.withdraw]
        await asyncio.gather(*(_post(client, d.partner_id, "/v1/withdrawals",
                                     {"enterprise_number": d.body["enterprise_number"], "withdrawn_at": now})
                               for d in withdrawn))
    kafka_withdrawals = [d for d in over_kafka if d.withdraw]
    await _send_to_ingress(bootstrap, topics, over_kafka, kafka_withdrawals, now)
    return Loaded(len(singles) + int(batch["accepted"]), len(refused), len(over_kafka),
                  len(withdrawn) + len(kafka_withdrawals))


async def _send_to_ingress(bootstrap: str, topics: Topics, registrations: list[DemoRegistration],
                           withdrawals: list[DemoRegistration], now: str) -> None:
    """As the board's own Kafka client does: CloudEvents in binary mode, keyed by the business (so a withdrawal
    follows its registration), the board's native records as data."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                **kafka_client.aiokafka_options())
    await producer.start()
    try:
        for demo, type_, data in [*((d, "registration.submitted", as_vlam(d.body)) for d in registrations),
                                  *((d, "consent.withdrawn", {"enterprise_number": d.body["enterprise_number"],
                                                              "withdrawn_at": now}) for d in withdrawals)]:
            headers = [("ce_specversion", b"1.0"), ("ce_type", f"be.buurt.{type_}.v1".encode()),
                       ("ce_source", f"/partners/{INGRESS_PARTNER}".encode()), ("ce_id", uuid.uuid4().hex.encode()),
                       ("content-type", b"application/json")]
            await producer.send_and_wait(topics.name(ingress(INGRESS_PARTNER)), json.dumps(data).encode(),
                                         key=demo.body["enterprise_number"].encode(), headers=headers)
    finally:
        await producer.stop()


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
    loaded = asyncio.run(load(registration_url, bootstrap, Topics(prefix), count))
    print(summary(loaded))


def summary(loaded: Loaded) -> str:
    return (f"demo data: {loaded.accepted} registrations over HTTP, {loaded.refused} without listing consent refused "
            f"(422), {loaded.over_kafka} CloudEvents on {INGRESS_PARTNER}'s ingress topic, {loaded.withdrawals} "
            f"withdrawals")


def main() -> None:
    app()
