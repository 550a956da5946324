"""Input fuzzing of ``registrations.submitted``: random, truncated, oversized, wrongly typed, deeply nested, badly
encoded and wrongly headed records, from aiokafka and from a non-Python client (Debian's kcat), with valid
registrations interleaved. Every bad record must reach ``registrations.dlq`` with a reason; every valid one must be
decided exactly once."""

import asyncio
import json
import random
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaProducer

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.infra import apt
from tests.samples import wire_registration

Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]  # key, value, headers


@dataclass
class FuzzReport:
    bad: int = 0
    valid: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)


def _valid_json() -> dict[str, object]:
    return json.loads(codec.encode(wire_registration()))  # type: ignore[no-any-return]


def _random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.randint(0, 2000))


def _truncated(rng: random.Random) -> bytes:
    whole = json.dumps(_valid_json()).encode()
    return whole[:rng.randint(0, len(whole) - 1)]


def _oversized(rng: random.Random) -> bytes:  # near the broker's 1 MB record limit
    document = _valid_json()
    document["business"]["name"] = "x" * rng.randint(200_000, 900_000)  # type: ignore[index]
    return json.dumps(document).encode()


def _wrong_type(rng: random.Random) -> bytes:
    document = _valid_json()
    mutation = rng.choice([("event_type", "registration.maybe"), ("submitted_at", "yesterday"), ("event_id", 42),
                           ("business", "a string"), ("schema_version", 99), ("partner_id", None)])
    document[mutation[0]] = mutation[1]
    return json.dumps(document).encode()


def _missing_field(rng: random.Random) -> bytes:
    document = _valid_json()
    del document[rng.choice(["event_id", "business", "consent", "submitted_at"])]
    return json.dumps(document).encode()


def _nested(rng: random.Random) -> bytes:
    depth = rng.randint(1_000, 100_000)
    return b"[" * depth + b"]" * depth


def _bad_encoding(rng: random.Random) -> bytes:
    return json.dumps(_valid_json()).encode().replace(b'"', b"\xff\xfe", rng.randint(1, 3))


def _other_json(rng: random.Random) -> bytes:
    return json.dumps(rng.choice([None, 1, "text", [], {}, {"event_type": "registration.submitted"}])).encode()


KINDS: dict[str, Callable[[random.Random], bytes]] = {
    "random bytes": _random_bytes, "truncated": _truncated, "oversized": _oversized, "wrong type": _wrong_type,
    "missing field": _missing_field, "deeply nested": _nested, "bad encoding": _bad_encoding,
    "other JSON": _other_json}
MISLEADING_HEADERS = [("content-type", b"application/json"), ("ce_type", b"be.buurt.registration.submitted"),
                      ("ce_specversion", b"1.0"), ("\u00e9\u00e9n", b"\xff" * 2000)]


def records(count: int, seed: int, valid_every: int = 10) -> tuple[list[Record], list[str], Counter[str]]:
    """``count`` bad records (and a valid one every ``valid_every``); the valid ones' event ids."""
    rng = random.Random(seed)
    out: list[Record] = []
    valid_ids: list[str] = []
    kinds: Counter[str] = Counter()
    for n in range(count):
        if n % valid_every == 0:
            event = wire_registration()
            valid_ids.append(str(event.event_id))
            out.append((codec.key(event.business.enterprise_number), codec.encode(event), []))
        kind, value = _undecodable(rng)
        kinds[kind] += 1
        headers = MISLEADING_HEADERS[:rng.randint(0, len(MISLEADING_HEADERS))]
        key = None if rng.random() < 0.1 else rng.choice([b"0000000097", rng.randbytes(8)])
        out.append((key, value, headers))
    return out, valid_ids, kinds


def _undecodable(rng: random.Random) -> tuple[str, bytes]:
    """A bad record of a random kind. Some mutations leave a valid event (an absent optional field is a
    decision, "rejected", not a dead letter): those are drawn again, so every bad record must be dead-lettered."""
    while True:
        kind = rng.choice(list(KINDS))
        value = KINDS[kind](rng)
        try:
            codec.decode_partner_event(value)
        except DecodeError:
            return kind, value


async def _produce(bootstrap: str, topic: str, batch: list[Record]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                max_request_size=1_048_000, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key, headers=headers) for key, value, headers in batch]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def kcat_lines(count: int, seed: int) -> list[bytes]:
    """Garbage lines (kcat sends one record per line)."""
    rng = random.Random(seed)
    return [rng.choice([b"{", b"not json at all", b'{"event_type": 7}', b"[1,2,3", b"null",
                        json.dumps({"x": "\u00e9" * rng.randint(1, 50)}).encode()]) for _ in range(count)]


def _kcat(bootstrap: str, topic: str, lines: list[bytes]) -> None:
    """The first half without keys, the second half keyed (``-K:`` splits ``key:value``)."""
    binary = apt.ensure("kcat", ["kcat"])
    half = len(lines) // 2
    with tempfile.TemporaryDirectory() as work:
        for name, chunk, options in (("plain", lines[:half], []), ("keyed", [b"k:" + x for x in lines[half:]],
                                                                    ["-K:"])):
            path = Path(work) / name
            path.write_bytes(b"\n".join(chunk) + b"\n")
            subprocess.run([binary, "-P", "-b", bootstrap, "-t", topic, *options, "-l", str(path)],
                           check=True, capture_output=True, timeout=120)


def run(bootstrap: str, topics: Topics, bad: int, kcat: int, seed: int = 1, settle_s: float = 300) -> FuzzReport:
    batch, valid_ids, kinds = records(bad, seed)
    asyncio.run(_produce(bootstrap, topics.submitted, batch))
    _kcat(bootstrap, topics.submitted, kcat_lines(kcat, seed))
    report = FuzzReport(bad=bad + kcat, valid=len(valid_ids), by_kind=kinds + Counter({"kcat lines": kcat}))
    deadline = time.monotonic() + settle_s
    while True:
        dead = [codec.decode(events.DeadLetter, r.value) for r in asyncio.run(read_topic(bootstrap, topics.dlq))
                if r.value]
        decided = Counter(str(codec.decode(events.Decision, r.value).source_event_id)
                          for r in asyncio.run(read_topic(bootstrap, topics.decisions)) if r.value)
        complete = len(dead) >= report.bad and all(decided[event] >= 1 for event in valid_ids)
        if complete or time.monotonic() > deadline:
            break
        time.sleep(2)
    if len(dead) != report.bad:
        report.findings.append(f"{len(dead)} dead letters for {report.bad} bad records")
    if any(not letter.reason for letter in dead):
        report.findings.append("dead letters without a reason")
    wrong = {event: decided[event] for event in valid_ids if decided[event] != 1}
    if wrong:
        report.findings.append(f"{len(wrong)} valid registrations not decided exactly once")
    return report
