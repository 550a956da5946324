"""Ingest: registrations accepted per second through the HTTP API (single and batch) versus a raw aiokafka producer
sending equally large encoded events to the same topic.

Single requests come from vegeta (each signed request sent once): httpx's connection pool measured itself instead
of the service (64 connections: 100 % of the client's core in its pool bookkeeping, 69 requests/s)."""

import asyncio
import base64
import hashlib
import json
import time
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from bench import loadtools
from bench.common import wire_events
from services.common.topics import Topics
from services.infra import process
from tests.platform import running_platform
from tests.samples import registration_body, signed

CONCURRENCY = 64
WORKERS = 2  # uvicorn worker processes of the registration service, as the search bench runs its service


async def _post_many(url: str, bodies: list[bytes], path: str, partner: str, retries: list[int]) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    slots = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        async def one(body: bytes) -> None:
            async with slots:
                for attempt in range(10):
                    try:  # a pooled keep-alive connection the server just closed: sign again and resend
                        headers = {**signed("POST", path, body, partner, timestamp=_stamp(attempt)),
                                   "Idempotency-Key": hashlib.sha256(body).hexdigest()}
                        response = await client.post(path, content=body, headers=headers)
                    except httpx.TransportError:
                        continue
                    if response.status_code != 503:
                        break
                    retries[0] += 1  # back-pressure: retried after a pause, as a partner would
                    await asyncio.sleep(1)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - started


def _signed_targets(out: Path, url: str, bodies: list[bytes], path: str, partner: str) -> Path:
    """vegeta's JSON targets: every request signed and keyed, so that each is accepted exactly once."""
    with out.open("w") as targets:
        for body in bodies:
            headers = {**signed("POST", path, body, partner), "Idempotency-Key": hashlib.sha256(body).hexdigest()}
            targets.write(json.dumps({"method": "POST", "url": f"{url}{path}",
                                      "body": base64.b64encode(body).decode(),
                                      "header": {name: [value] for name, value in headers.items()}}) + "\n")
    return out


def _stamp(attempt: int) -> int:
    # a resend needs another signature (replays are refused): each attempt's timestamp is later than the last's
    return int(time.time()) + attempt


async def _raw(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(*[await producer.send(topic, v, key=k) for k, v in records])
        return time.perf_counter() - started
    finally:
        await producer.stop()


def run(bootstrap: str, redis_url: str, topics: Topics, logs: Path, singles: int, batches: int) -> dict[str, float]:
    single_bodies = [json.dumps(registration_body()).encode() for _ in range(singles)]
    batch_bodies = [json.dumps({"registrations": [registration_body() for _ in range(1000)]}).encode()
                    for _ in range(batches)]
    with running_platform(bootstrap, redis_url, topics, logs, names=("buurt-registration",),
                          extra_env={"REGISTRATION_RATE_LIMIT_PER_MINUTE": "100000000",
                                     "REGISTRATION_WORKERS": str(WORKERS)}) as platform:
        retries = [0]
        logs.mkdir(parents=True, exist_ok=True)
        single = loadtools.vegeta_once(_signed_targets(logs / "singles.jsonl", platform.registration_url,
                                                       single_bodies, "/v1/registrations", "unizo-winkelhier"),
                                       CONCURRENCY)
        batch_s = asyncio.run(_post_many(platform.registration_url, batch_bodies, "/v1/registrations:batch",
                                         "nsz-koopvanuitjekot", retries))
        registration_rss = process.rss_mib(platform.pids["buurt-registration"])
    raw_count = max(singles, batches * 1000)
    raw_s = asyncio.run(_raw(bootstrap, topics.submitted, wire_events(raw_count)))
    raw_rate = raw_count / raw_s
    batch_rate = batches * 1000 / batch_s
    return {"single_per_s": round(single["per_s"]), "single_p50_ms": round(single["p50_ms"], 1),
            "single_p99_ms": round(single["p99_ms"], 1), "batch_per_s": round(batch_rate),
            "raw_producer_per_s": round(raw_rate), "batch_to_raw_ratio": round(batch_rate / raw_rate, 3),
            "registration_rss_mib": registration_rss, "retried_after_503": retries[0], "workers": WORKERS}
