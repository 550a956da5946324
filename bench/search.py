"""Search at a given number of listings: the search service (a real process, over HTTP) uncached and cached, next
to raw Redis GEOSEARCH of the same radius (the floor the design sits on) and PostgreSQL + PostGIS on the same data
(the peer); plus Redis memory per 100,000 listings and the service's resident memory.

For each: the maximum rate (closed loop, 32 in flight) and p50/p99 one request at a time; for the service uncached,
also p50/p99 of the 200s at 50 % and 80 % of its maximum (open loop; 503s of the admission limit counted), and at
twice its maximum (saturation: the shares of 200s, of deliberate 503s and of failures, the p99 of the 200s) followed
by half its maximum (recovery); cached, also the p99 at 80 % of its maximum (open loop, with the share answered 200).
PostGIS in both layouts (bench/postgis.py); the ratios to the faster are in ``uncached_vs_postgis`` and
``cached_vs_postgis``. Searches are 5 km around random points of one area, every other one with a word prefix (the
floor has no word filter: it is the floor).
"""

import asyncio
import random
import statistics
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from redis.asyncio import Redis

from bench import loadtools, postgis
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import process
from services.search.index import RedisListingIndex
from tests.platform import running_platform
from tests.search_samples import listing

CONCURRENCY = 32
ROUNDS = 3  # of the events' cost: services of each kind, in turn
# Listing names are drawn from these, so a word filter keeps about a tenth of the listings.
WORDS = ("bakkerij", "slagerij", "hoeve", "kaasmakerij", "brouwerij", "bloemen", "fietsen", "boekhandel",
         "koffiebar", "groenten")
# Listings spread over 50.7-51.3 N, 3.0-5.0 E; searches around points of 51.0-51.3 N, 4.0-4.3 E (the same box for
# every system: redis-benchmark draws the floor's points as "51.<random>" and "4.<random>").
AREA = (51.0, 51.3, 4.0, 4.3)
Row = tuple[str, str, float, float]


def rows(count: int) -> list[Row]:
    rng = random.Random(7)  # noqa: S311 - reproducible data, not security
    return [(f"{i:010d}", f"{rng.choice(WORDS).capitalize()} {i}", rng.uniform(50.7, 51.3),
             rng.uniform(3.0, 5.0)) for i in range(count)]


def targets(path: Path, base_url: str, count: int, seed: int) -> Path:
    """A vegeta targets file of ``count`` distinct searches."""
    rng = random.Random(seed)  # noqa: S311
    lines = []
    for n in range(count):
        params: dict[str, Any] = {"lat": round(rng.uniform(*AREA[:2]), 6), "lon": round(rng.uniform(*AREA[2:]), 6),
                                  "radius_km": 5, **({"q": rng.choice(WORDS)[:4]} if n % 2 else {})}
        lines.append(f"GET {base_url}/v1/search?{urlencode(params)}\n")
    path.write_text("".join(lines))
    return path


async def _index(redis_url: str, prefix: str, data: list[Row]) -> int:
    """Index ``data`` under ``prefix`` (and the floor's GEO set); the Redis memory the index took, in bytes."""
    redis = Redis.from_url(redis_url)
    try:
        before = int((await redis.info("memory"))["used_memory"])
        index = RedisListingIndex(redis, f"{prefix}idx:")
        for start in range(0, len(data), 1000):
            await index.apply([(number, listing(number, lat, lon, name=name))
                               for number, name, lat, lon in data[start:start + 1000]])
        await index.mark_built()
        used = int((await redis.info("memory"))["used_memory"]) - before
        for start in range(0, len(data), 10_000):  # redis-benchmark names members by 12-digit random numbers
            await redis.geoadd(f"{prefix}floor", [x for i, (_, _, lat, lon) in enumerate(data[start:start + 10_000],
                                                                                       start)
                                                  for x in (lon, lat, f"{i:012d}")])
        return used
    finally:
        await redis.aclose()


async def _drop(redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    async for key in redis.scan_iter(match=f"{prefix}*", count=5000):
        await redis.unlink(key)
    await redis.aclose()


def _named(name: str, figures: dict[str, float]) -> dict[str, float]:
    return {f"{name}_{key}": round(value, 3 if key.endswith("ms") else 0) for key, value in figures.items()}


def _service(url: str, work: Path, seconds: float) -> dict[str, float]:
    unique = targets(work / "unique.txt", url, int(seconds * 5000), seed=1)
    peak = loadtools.vegeta(unique, seconds)
    figures = {**_named("uncached_max", {"per_s": peak["per_s"]}),
               **_named("uncached_alone", _latency(loadtools.vegeta(targets(work / "alone.txt", url, 5000, 2),
                                                                    seconds, workers=1)))}
    for share in (50, 80):  # open loop: a burst may meet the admission limit, whose 503s are counted, not fatal
        at = loadtools.vegeta_outcomes(targets(work / f"at{share}.txt", url, int(seconds * 5000), seed=share),
                                       seconds, rate=peak["per_s"] * share / 100)
        name = f"uncached_at_{share}pct"
        figures |= {f"{name}_p50_ms": at["ok_p50_ms"], f"{name}_p99_ms": at["ok_p99_ms"],
                    f"{name}_refused_share": at["refused_share"], f"{name}_failed_share": at["failed_share"]}
    figures |= _saturation(url, work, seconds, peak["per_s"])
    repeated = targets(work / "repeated.txt", url, 200, seed=3)
    # Warm, closed loop: a fixed rate above the uncached capacity (100,000 listings and up) queued requests
    # past Redis's socket timeout (503).
    loadtools.vegeta(repeated, 2, workers=4)
    cached_peak = loadtools.vegeta(repeated, seconds)["per_s"]
    figures |= _named("cached_max", {"per_s": cached_peak})
    figures |= _named("cached_alone", _latency(loadtools.vegeta(repeated, seconds, workers=1)))
    at80 = loadtools.vegeta_outcomes(repeated, seconds, rate=cached_peak * 0.8)  # open loop; a 503 is counted
    figures |= {"cached_at_80pct_ok_share": at80["ok_share"], "cached_at_80pct_p99_ms": at80["ok_p99_ms"]}
    return figures


def _events_cost(fresh_service: Callable[[dict[str, str]], ContextManager[str]], work: Path, seconds: float,
                 rate: float) -> dict[str, float]:
    """What the anonymous search events cost a search: fresh services of three kinds — events on (sent to the
    bench's broker, on the same two cores), off, and *queued*: built and queued as when on, but towards a broker
    that is not there (the service's own cost, without the broker's) — in turn (on, off, queued, queued, off, on,
    ...; ROUNDS of each), each warmed then measured one at a time (p99) and open loop at ``rate`` (p99 of the 200s).
    Reported: each run, the median of each kind, and the noise: the widest spread between runs of one kind."""
    kinds = {"on": {}, "off": {"SEARCH_EVENTS": "false"}, "queued": {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}}
    order = [*kinds, *reversed(kinds)] * ROUNDS
    runs: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    unsent = 0.0
    figures: dict[str, float] = {"events_cost_rate_per_s": round(rate)}
    for n, kind in enumerate(order[:ROUNDS * len(kinds)]):
        with fresh_service(kinds[kind]) as url:
            loadtools.vegeta(targets(work / f"warm-{n}.txt", url, 2000, seed=200 + n), 2, workers=4)
            alone = loadtools.vegeta(targets(work / f"alone-{n}.txt", url, 5000, seed=300 + n), seconds, workers=1)
            at = loadtools.vegeta_outcomes(targets(work / f"at-{n}.txt", url, int(seconds * rate) + 100,
                                                   seed=400 + n), seconds, rate=rate)
            if kind == "on":  # events left unsent (should be none)
                unsent += sum(_metric(url, f'buurt_search_events_total{{outcome="{outcome}"}}')
                              for outcome in ("dropped", "failed"))
        runs[kind].append((alone["p99_ms"], at["ok_p99_ms"]))
        figures[f"events_run{n}_{kind}_alone_p99_ms"] = round(alone["p99_ms"], 3)
        figures[f"events_run{n}_{kind}_at_rate_p99_ms"] = round(at["ok_p99_ms"], 3)
    figures["events_cost_unsent"] = unsent
    for index, measure in enumerate(("alone_p99_ms", "at_rate_p99_ms")):
        for kind, measured in runs.items():
            figures[f"events_{kind}_{measure}"] = round(statistics.median(r[index] for r in measured), 3)
        figures[f"events_noise_{measure}"] = round(max(max(r[index] for r in measured) - min(r[index] for r in measured)
                                                       for measured in runs.values()), 3)
    return figures


def _metric(url: str, sample: str) -> float:
    """A sample of the service's Prometheus text (summed over its workers' files by the multiprocess collector)."""
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _saturation(url: str, work: Path, seconds: float, peak: float) -> dict[str, float]:
    """Twice the maximum rate, open loop: every answer must be a 200 or a deliberate 503 (admission.py), the 200s
    keep a bounded latency; then the maximum load again, which must be served at once without refusals."""
    over = loadtools.vegeta_outcomes(targets(work / "over.txt", url, int(seconds * 10_000), seed=4), seconds,
                                     rate=2 * peak)
    after = loadtools.vegeta_outcomes(targets(work / "after.txt", url, int(seconds * 5000), seed=5), seconds,
                                      rate=peak / 2)
    return {"saturation_rate_per_s": round(2 * peak), "saturation_ok_share": over["ok_share"],
            "saturation_refused_share": over["refused_share"], "saturation_failed_share": over["failed_share"],
            "saturation_ok_p99_ms": over["ok_p99_ms"], "after_saturation_ok_share": after["ok_share"],
            "after_saturation_p99_ms": after["ok_p99_ms"]}


def _latency(figures: dict[str, float]) -> dict[str, float]:
    return {"p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"]}


def _floor(redis_url: str, prefix: str, listings: int, seconds: float) -> dict[str, float]:
    port = urlsplit(redis_url).port or 6379
    command = ["GEOSEARCH", f"{prefix}floor", "FROMLONLAT", "4.__rand_int__", "51.__rand_int__", "BYRADIUS", "5",
               "km", "ASC", "WITHDIST"]
    keyspace = 300_000_000_000  # "51.<12 digits below 3e11>" = 51.0-51.3, "4.<...>" = 4.0-4.3
    peak = loadtools.redis_benchmark(port, command, CONCURRENCY, seconds, keyspace)
    alone = loadtools.redis_benchmark(port, command, 1, seconds, keyspace)
    return {**_named("raw_geosearch_max", {"per_s": peak["per_s"]}), **_named("raw_geosearch_alone", _latency(alone))}


def _postgis(data: list[Row], seconds: float) -> dict[str, float]:
    """Each layout (postgis.LAYOUTS), and which was the faster: the baseline."""
    figures: dict[str, float] = {}
    with postgis.server() as port:
        postgis.load(port, data)
        for layout in postgis.LAYOUTS:
            scripts = postgis.pgbench_scripts(AREA, WORDS, layout)
            peak = loadtools.pgbench(port, scripts, seconds, CONCURRENCY)
            figures |= {**_named(f"postgis_{layout}_max", {"per_s": peak["per_s"]}),
                        **_named(f"postgis_{layout}_alone", _latency(loadtools.pgbench(port, scripts, seconds, 1)))}
            at = loadtools.pgbench(port, scripts, seconds, CONCURRENCY, rate=peak["per_s"] / 2)
            figures |= _named(f"postgis_{layout}_at_50pct", _latency(at))
    figures["postgis_best_max_per_s"] = max(figures[f"postgis_{layout}_max_per_s"] for layout in postgis.LAYOUTS)
    return figures


def _ratios(figures: dict[str, float]) -> dict[str, float]:
    """The comparisons the goals are stated in (docs/benchmarks.md)."""
    best = figures.get("postgis_best_max_per_s")
    if not best or "uncached_max_per_s" not in figures:
        return {}
    return {"uncached_vs_postgis": round(figures["uncached_max_per_s"] / best, 2),
            "cached_vs_postgis": round(figures["cached_max_per_s"] / best, 2)}


def run(bootstrap: str, redis_url: str, home: Path, listings: int, seconds: float, workers: int = 2,
        ) -> dict[str, float]:
    data = rows(listings)
    prefix = f"bench{uuid.uuid4().hex[:6]}:buurt:"
    work = home / f"search-{listings}"
    work.mkdir(parents=True, exist_ok=True)
    memory = asyncio.run(_index(redis_url, prefix, data))
    figures: dict[str, float] = {"listings": listings, "search_workers": workers,
                                 "redis_mib_per_100k": round(memory / listings * 1e5 / 2**20, 1)}
    topics = Topics(f"bench{uuid.uuid4().hex[:6]}.")  # where the anonymous search events go (demand.py)
    asyncio.run(create_topics(bootstrap, topics))
    env = {"SEARCH_REDIS_PREFIX": prefix, "SEARCH_CONSUME": "false", "SEARCH_WORKERS": str(workers)}
    try:
        with running_platform(bootstrap, redis_url, topics, work, names=("buurt-search",), extra_env=env) as platform:
            figures |= _service(platform.search_url, work, seconds)
            figures["search_rss_mib"] = process.rss_mib(platform.pids["buurt-search"])
            figures["events_sent"] = _metric(platform.search_url, 'buurt_search_events_total{outcome="sent"}')

        @contextmanager
        def fresh_service(kind: dict[str, str]) -> Iterator[str]:
            with running_platform(bootstrap, redis_url, topics, work, names=("buurt-search",),
                                  extra_env={**env, **kind}) as platform:
                yield platform.search_url

        figures |= _events_cost(fresh_service, work, seconds, figures["uncached_max_per_s"] / 2)
        figures |= _floor(redis_url, prefix, listings, seconds)
    finally:
        asyncio.run(_drop(redis_url, prefix))
    figures |= _postgis(data, seconds)
    return figures | _ratios(figures)
