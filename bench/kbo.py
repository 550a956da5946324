"""KBO verification: a synthetic extract in the published layout (full: 2,000,000 enterprises, ~2,560,000 addresses),
loaded with the loader (budget 5 minutes), a replica's lookup store restored from the topics, an update of 10,000
changed enterprises (budget 10 s), the intake's check per registration (lookup + verification, budget p99 1 ms)
beside a bare primary-key read, and the registration service's intake (batches) and memory with the check beside
the same service without it (no KBO store: the baseline)."""

import asyncio
import json
import random
import shutil
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from services.common import places
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import process
from services.kbo import loader, synthetic, verify
from services.kbo.extract import Extract
from services.kbo.store import KboStore
from tests.kbo_samples import claim_at_first_site
from tests.platform import running_platform
from tests.samples import registration_body, signed

BATCH = 1000
LOOKUPS = 20_000


def run(bootstrap: str, redis_url: str, home: Path, enterprises: int, updated: int, batches: int) -> dict[str, Any]:
    home.mkdir(parents=True, exist_ok=True)
    topics = Topics(f"kbo{random.randrange(10**6)}.")  # noqa: S311 - a name, not security
    asyncio.run(create_topics(bootstrap, topics))
    figures: dict[str, Any] = {"enterprises": enterprises}
    full = home / "full.zip"
    started = time.perf_counter()
    counts = synthetic.write_full(full, synthetic.population(enterprises), 140, date(2026, 11, 1))
    figures |= {"generate_s": _since(started), "addresses": counts["address.csv"],
                "establishments": counts["establishment.csv"], "activities": counts["activity.csv"],
                "extract_mib": round(full.stat().st_size / 2**20, 1)}

    figures |= _full_load(full, home / "loader.sqlite", bootstrap, topics)
    started = time.perf_counter()
    replica = loader.open_store(home / "replica.sqlite", topics, bootstrap)
    figures |= {"replica_restore_s": _since(started),
                "replica_store_mib": round((home / "replica.sqlite").stat().st_size / 2**20, 1)}
    figures |= _lookups(replica, enterprises)
    figures |= _update(home, bootstrap, topics, enterprises, updated)
    replica.close()
    figures |= _intake(bootstrap, redis_url, topics, home, enterprises, batches)
    return figures


def _full_load(full: Path, store_path: Path, bootstrap: str, topics: Topics) -> dict[str, Any]:
    with loader.open_store(store_path, topics, bootstrap) as store, Extract(full) as extract:
        started = time.perf_counter()
        result = loader.load_full(extract, store, bootstrap, topics, lambda step, rows: None)
        elapsed = _since(started)
    return {"full_load_s": elapsed, "full_load_per_s": round(result.published / elapsed)}


def _update(home: Path, bootstrap: str, topics: Topics, enterprises: int, updated: int) -> dict[str, Any]:
    """`updated` enterprises, evenly spread, each with its first site moved (a new activity when it has none)."""
    towns = places.localities()
    step = max(1, enterprises // updated)
    changed = []
    for n, index in enumerate(range(0, step * updated, step)):
        enterprise = synthetic.synthetic(index)
        changed.append(synthetic.moved(enterprise, towns[n % len(towns)], "Nieuwstraat", str(1 + n % 90)))
    path = home / "update.zip"
    synthetic.write_update(path, changed, [], 141, date(2026, 11, 2))
    # the loader's store as a daily cron leaves it: current, the full load's records read once
    started = time.perf_counter()
    with loader.open_store(home / "loader.sqlite", topics, bootstrap) as store, Extract(path) as extract:
        catch_up = _since(started)
        started = time.perf_counter()
        result = loader.load_update(extract, store, bootstrap, topics, lambda step, rows: None)
        elapsed = _since(started)
    return {"loader_store_first_read_s": catch_up, "update_enterprises": result.published, "update_s": elapsed}


def _lookups(store: KboStore, enterprises: int) -> dict[str, Any]:
    rng = random.Random(7)  # noqa: S311 - a sample, not security
    indices = [rng.randrange(enterprises) for _ in range(LOOKUPS)]
    businesses = [claim_at_first_site(synthetic.synthetic(i)) for i in indices]
    checks, bare = [], []
    for business in businesses:
        started = time.perf_counter()
        record, snapshot = store.lookup(business.enterprise_number)
        verify.check(business, record, snapshot)
        checks.append(time.perf_counter() - started)
    for business in businesses:
        started = time.perf_counter()
        store.raw(business.enterprise_number)
        bare.append(time.perf_counter() - started)
    return {"check_p50_ms": _ms(statistics.median(checks)), "check_p99_ms": _ms(_p99(checks)),
            "bare_read_p50_ms": _ms(statistics.median(bare)), "bare_read_p99_ms": _ms(_p99(bare))}


def _intake(bootstrap: str, redis_url: str, topics: Topics, home: Path, enterprises: int,
            batches: int) -> dict[str, Any]:
    """Batches of registrations of KBO enterprises at their own addresses, with the check and without a store."""
    rng = random.Random(11)  # noqa: S311 - a sample, not security
    bodies = []
    for _ in range(batches):
        items = [_body(synthetic.synthetic(rng.randrange(enterprises))) for _ in range(BATCH)]
        bodies.append(json.dumps({"registrations": items}).encode())
    runs: dict[str, list[dict[str, float]]] = {"with_check": [], "without_store": []}
    for n, kind in enumerate(("with_check", "without_store", "without_store", "with_check")):  # in turn: drift
        logs = home / f"intake-{kind}-{n}"
        env = {"REGISTRATION_FOLLOW_KBO": "false"} if kind == "without_store" else {}
        if kind == "with_check":  # a restarting replica keeps its store file: it reads only what changed since
            (logs / "kbo").mkdir(parents=True, exist_ok=True)
            shutil.copy(home / "replica.sqlite", logs / "kbo" / "kbo-0.sqlite")
        with running_platform(bootstrap, redis_url, topics, logs, names=("buurt-registration",),
                              extra_env={"REGISTRATION_RATE_LIMIT_PER_MINUTE": "100000000",
                                         "REGISTRATION_CONSUME_DECISIONS": "false",
                                         "REGISTRATION_CONSUME_INGRESS": "false", **env}) as platform:
            pid = platform.pids["buurt-registration"]
            rss_before = process.rss_mib(pid)
            elapsed = asyncio.run(_post(platform.registration_url, bodies))
            runs[kind].append({"per_s": round(batches * BATCH / elapsed), "rss_mib": rss_before,
                               "rss_after_mib": process.rss_mib(pid)})
        shutil.rmtree(logs / "kbo", ignore_errors=True)
    figures: dict[str, Any] = {"intake_runs": runs}
    for kind, measured in runs.items():
        figures[f"intake_{kind}_per_s"] = round(statistics.median(r["per_s"] for r in measured))
        figures[f"registration_rss_{kind}_mib"] = max(r["rss_mib"] for r in measured)
        figures[f"registration_rss_{kind}_after_mib"] = max(r["rss_after_mib"] for r in measured)
    figures["intake_ratio"] = round(figures["intake_with_check_per_s"] / figures["intake_without_store_per_s"], 3)
    return figures


async def _post(url: str, bodies: list[bytes]) -> float:
    path = "/v1/registrations:batch"
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        started = time.perf_counter()
        for body in bodies:  # one batch at a time: the service's own cost, not the client's concurrency
            response = await client.post(path, content=body, headers=signed("POST", path, body, "nsz-koopvanuitjekot"))
            response.raise_for_status()
            assert response.json()["accepted"] == BATCH, response.text
        return time.perf_counter() - started


def _body(enterprise: synthetic.Enterprise) -> dict[str, Any]:
    business = claim_at_first_site(enterprise)
    body = registration_body(enterprise.number)
    body["address"] = {"street": business.address.street, "number": business.address.number,
                       "postcode": business.address.postcode, "municipality": business.address.locality}
    body["position"] = {"lat": business.position.lat, "lon": business.position.lon}
    return body


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)

