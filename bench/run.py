"""Benchmarks, each figure beside its baseline, on a broker and Redis of their own (loopback).

    python -m bench.run --quick     (make bench-quick, about two minutes)
    python -m bench.run             (make bench)

Writes bench/results/<timestamp>.json (machine facts, versions, parameters, every figure) and prints a Markdown
table. Nothing is asserted: the machines are shared and noisy.
"""

import argparse
import asyncio
import functools
import json
import os
import platform
import subprocess
import tempfile
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench import audit, consent, ingest, insights, insights_recovery, kbo, loadtools, pipeline, postgis, proofs, search
from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from services.infra import kafka, process, redis_server

RESULTS = Path(__file__).with_name("results")
SIZES = {"quick": {"singles": 2000, "batches": 5, "consent": 5000, "backfill": 10_000, "pipeline_s": 10,
                   "search": [10_000], "search_s": 4, "insights": 10_000,
                   "recovery_days": 7, "kbo": (20_000, 1000, 3), "proofs": 20_000},
         "full": {"singles": 10_000, "batches": 20, "consent": 50_000, "backfill": 1_000_000, "pipeline_s": 30,
                  "search": [10_000, 100_000, 1_000_000], "search_s": 10, "insights": 50_000,
                  "recovery_days": 365, "kbo": (2_000_000, 10_000, 20), "proofs": 1_000_000}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated scenarios (ingest, consent, audit, pipeline, search_<n>, "
                                       "insights, insights_recovery, kbo, proofs)")
    args = parser.parse_args()
    sizes = SIZES["quick" if args.quick else "full"]
    home = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    broker = kafka.KafkaNode(home / "kafka", process.free_port(), process.free_port())
    cache = redis_server.RedisNode(home / "redis", process.free_port(), appendonly=False)
    kafka.start(broker)
    redis_server.start(cache)
    try:
        figures = scenarios(broker.bootstrap, cache.url, home, sizes, args.only.split(",") if args.only else None)
    finally:
        kafka.stop(broker)
        redis_server.stop(cache)
    write_report(figures, sizes, "quick" if args.quick else "full")


def scenarios(bootstrap: str, redis_url: str, home: Path, sizes: dict[str, Any], only: list[str] | None,
              ) -> dict[str, dict[str, Any]]:
    def fresh_topics() -> Topics:
        topics = Topics(f"b{uuid.uuid4().hex[:6]}.")
        asyncio.run(create_topics(bootstrap, topics))
        return topics

    consent_topics = fresh_topics()
    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "ingest": lambda: ingest.run(bootstrap, redis_url, fresh_topics(), home / "ingest", sizes["singles"],
                                     sizes["batches"]),
        "consent": lambda: consent.run(bootstrap, consent_topics, fresh_topics, home / "consent", sizes["consent"]),
        "audit": lambda: audit.run(bootstrap, consent_topics, home / "consent"),
        "pipeline": lambda: pipeline.run(bootstrap, redis_url, fresh_topics(), home / "pipeline", sizes["backfill"],
                                         sizes["pipeline_s"]),
        **{f"search_{n}": functools.partial(search.run, bootstrap, redis_url, home, n, sizes["search_s"])
           for n in sizes["search"]},
        "insights": lambda: insights.run(bootstrap, redis_url, fresh_topics(), home / "insights", sizes["insights"]),
        "insights_recovery": lambda: insights_recovery.run(bootstrap, redis_url, home / "recovery",
                                                           sizes["recovery_days"]),
        "kbo": lambda: kbo.run(bootstrap, redis_url, home / "kbo", *sizes["kbo"]),
        "proofs": lambda: proofs.run(bootstrap, home / "proofs", sizes["proofs"]),
    }
    figures: dict[str, dict[str, Any]] = {}
    for name, scenario in runs.items():
        if only and name not in only:
            continue
        print(f"running {name} …", flush=True)
        try:
            figures[name] = scenario()
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not cost the others their figures
            traceback.print_exc()
            figures[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {figures[name]}", flush=True)
        _flush(redis_url)
    return figures


def _flush(redis_url: str) -> None:
    """Empty the bench's own Redis between scenarios: each measures its own keys only (the pipeline's 1,000,000
    listings, ~2,000,000 keys, were still in it while the searches ran)."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushall()
    finally:
        client.close()


def write_report(figures: dict[str, dict[str, Any]], sizes: dict[str, Any], mode: str) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,  # noqa: S607
                            check=False).stdout.strip()
    report = {"at": datetime.now(UTC).isoformat(), "mode": mode, "commit": commit, "sizes": sizes,
              "machine": {"python": platform.python_version(), "platform": platform.platform(),
                          "cpus": os.cpu_count(), "memory_gib": round(os.sysconf("SC_PHYS_PAGES")
                                                                      * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)},
              "versions": versions(), "figures": figures}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    print("\n| scenario | figure | value |\n|---|---|---|")
    for scenario, values in figures.items():
        for name, value in values.items():
            print(f"| {scenario} | {name} | {value} |")
    print(f"\nwritten to {out}")


def versions() -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.splitlines()[0]  # noqa: S603
        except (OSError, IndexError):
            return "not installed"
    return {"kafka": kafka.KAFKA_VERSION, "redis": first_line(["redis-server", "--version"]),
            "postgresql": first_line([str(postgis.BIN / "postgres"), "--version"]), "postgis": "3 (Debian)",
            "vegeta": loadtools.VEGETA.rsplit("@", 1)[1]}


if __name__ == "__main__":
    main()
