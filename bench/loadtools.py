"""The load generators: each server's own native tool, so that the client's CPU is small next to the server's on
this 2-core machine (a Python client measured itself: two httpx processes used twice the CPU of the service).

- HTTP (the search service): vegeta (Go, built from the Go module proxy into .cache/bin), closed loop for the
  maximum rate, open loop (fixed rate, latency from the scheduled send) for latency at a given load;
- Redis: redis-benchmark (Debian redis-tools);
- PostgreSQL: pgbench (Debian postgresql-15), latencies from its per-transaction log.
"""

import csv
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from services.infra import paths

VEGETA = "github.com/tsenart/vegeta/v12@v12.13.0"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def vegeta_binary() -> str:
    binary = paths.cache_dir() / "bin" / "vegeta"
    if not binary.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        subprocess.run([go, "install", VEGETA], check=True,  # noqa: S603
                       env={**os.environ, "GOBIN": str(binary.parent)})
    return str(binary)


def vegeta(targets: Path, seconds: float, rate: float | None = None, workers: int = 32) -> dict[str, float]:
    """Closed loop with ``workers`` in flight when ``rate`` is None, else open loop at ``rate`` per second."""
    binary = vegeta_binary()
    pace = ["-rate=0", f"-max-workers={workers}", f"-workers={workers}"] if rate is None else [f"-rate={rate:.0f}"]
    attack = subprocess.run([binary, "attack", f"-targets={targets}", f"-duration={seconds}s", "-timeout=10s",  # noqa: S603
                             *pace], check=True, capture_output=True)
    report = json.loads(subprocess.run([binary, "report", "-type=json"], input=attack.stdout, check=True,  # noqa: S603
                                       capture_output=True).stdout)
    if report["success"] < 1:
        raise RuntimeError(f"vegeta: {report['status_codes']} {report.get('errors', [])[:3]}")
    return {"per_s": report["throughput"], "p50_ms": report["latencies"]["50th"] / 1e6,
            "p99_ms": report["latencies"]["99th"] / 1e6}


def vegeta_outcomes(targets: Path, seconds: float, rate: float) -> dict[str, float]:
    """Open loop at ``rate``, where refusals are expected: the shares of 200s, of deliberate 503s (with
    Retry-After: vegeta keeps no headers, so the refusals counted are the 503s, checked for the header by
    tests/unit/test_admission.py) and of everything else (errors, timeouts, other codes); the p50/p99 of the 200s."""
    binary = vegeta_binary()
    attack = subprocess.run([binary, "attack", f"-targets={targets}", f"-duration={seconds}s", "-timeout=10s",  # noqa: S603
                             f"-rate={rate:.0f}"], check=True, capture_output=True)
    lines = subprocess.run([binary, "encode", "--to=json"], input=attack.stdout, check=True,  # noqa: S603
                           capture_output=True).stdout.splitlines()
    results = [json.loads(line) for line in lines if line.strip()]
    ok = sorted(r["latency"] / 1e6 for r in results if r["code"] == 200)
    refused = sum(r["code"] == 503 for r in results)
    count = max(len(results), 1)
    percentiles = statistics.quantiles(ok, n=100) if len(ok) > 1 else [0.0] * 99
    return {"ok_share": round(len(ok) / count, 4), "refused_share": round(refused / count, 4),
            "failed_share": round((count - len(ok) - refused) / count, 4),
            "ok_p50_ms": round(percentiles[49], 3), "ok_p99_ms": round(percentiles[98], 3)}


def vegeta_once(targets: Path, workers: int) -> dict[str, float]:
    """Each target of a JSON-lines file sent exactly once (lazily: the attack ends when the file does, with one
    'no targets' result, left out), ``workers`` in flight; for requests that must not repeat (signed,
    replay-protected writes). Every answer must be 2xx."""
    binary = vegeta_binary()
    attack = subprocess.run([binary, "attack", f"-targets={targets}", "-format=json", "-lazy", "-duration=600s",  # noqa: S603
                             "-timeout=30s", "-rate=0", f"-max-workers={workers}", f"-workers={workers}"],
                            check=True, capture_output=True)
    lines = subprocess.run([binary, "encode", "--to=json"], input=attack.stdout, check=True,  # noqa: S603
                           capture_output=True).stdout.splitlines()
    results = [r for r in map(json.loads, filter(None, lines)) if r["error"] != "no targets to attack"]
    failed = [(r["code"], r["error"]) for r in results if not 200 <= r["code"] < 300]
    if failed:
        raise RuntimeError(f"vegeta: {len(failed)} of {len(results)} failed, e.g. {failed[:3]}")
    started = min(_instant(r["timestamp"]) for r in results)
    ended = max(_instant(r["timestamp"]) + r["latency"] / 1e9 for r in results)
    cuts = statistics.quantiles([r["latency"] / 1e6 for r in results], n=100)
    return {"requests": len(results), "per_s": len(results) / (ended - started), "p50_ms": cuts[49],
            "p99_ms": cuts[98]}


def _instant(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def redis_benchmark(port: int, command: list[str], clients: int, seconds: float, keyspace: int) -> dict[str, float]:
    """About ``seconds`` of load: redis-benchmark takes a request count, so a short probe sizes it first (at
    1,000,000 listings one GEOSEARCH of the radius takes ~7 ms, at 10,000 under 0.1 ms)."""
    probe = _redis_benchmark(port, command, clients, 20 * clients, keyspace)
    return _redis_benchmark(port, command, clients, max(20 * clients, int(probe["per_s"] * seconds)), keyspace)


def _redis_benchmark(port: int, command: list[str], clients: int, requests: int, keyspace: int) -> dict[str, float]:
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests),  # noqa: S603,S607
                          "-r", str(keyspace), "--csv", *command], check=True, capture_output=True, text=True).stdout
    row = list(csv.DictReader(out.splitlines()))[-1]
    return {"per_s": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]),
            "p99_ms": float(row["p99_latency_ms"])}


def pgbench(port: int, scripts: dict[str, str], seconds: float, clients: int,
            rate: float | None = None) -> dict[str, float]:
    """``scripts``: name -> pgbench script, run with equal weights."""
    with tempfile.TemporaryDirectory() as work:
        files = []
        for name, text in scripts.items():
            (Path(work) / f"{name}.sql").write_text(text)
            files += ["-f", f"{Path(work) / name}.sql@1"]
        pace = ["-R", f"{rate:.0f}"] if rate else []
        subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(port), "-U", "bench", "-n", "-M", "prepared",  # noqa: S603
                        "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(seconds)), "-l",
                        f"--log-prefix={work}/log", *pace, *files, "postgres"], check=True, capture_output=True)
        latencies = [int(line.split()[2]) / 1000 for log in Path(work).glob("log*")
                     for line in log.read_text().splitlines()]
    cuts = statistics.quantiles(latencies, n=100)
    return {"per_s": len(latencies) / seconds, "p50_ms": cuts[49], "p99_ms": cuts[98]}
