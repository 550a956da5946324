"""`make chaos`: the long fault and abuse suite, ending with a summary of scenarios, inputs and invariants.

    python -m tests.chaos.run [--soak-seconds 600] [--fuzz 10000] [--rounds 3]

Exit status 0 only when every scenario holds. The short versions run inside `make test`
(tests/e2e/test_faults.py, tests/e2e/test_abuse.py, tests/integration/test_*_contract.py).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.chaos import cluster, faults, kafka_fuzz, pii, soak
from tests.chaos.platform import ChaosPlatform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the fault sequence")
    parser.add_argument("--soak-seconds", type=float, default=600)
    parser.add_argument("--soak-rate", type=float, default=15, help="registrations per second (about half capacity)")
    parser.add_argument("--fuzz", type=int, default=10_000, help="bad records from aiokafka (kcat adds a fifth)")
    parser.add_argument("--schemathesis-examples", type=int, default=300)
    args = parser.parse_args()
    rows: list[tuple[str, str, list[str]]] = []  # scenario, inputs, findings
    home = Path(tempfile.mkdtemp(prefix="buurt-chaos-"))
    platform = ChaosPlatform(home / "faults").start()
    try:
        started = time.monotonic()
        outcome = faults.run(platform, rounds=args.rounds, rate_per_s=6)
        rows.append((f"faults ×{args.rounds}: {', '.join(sorted(set(outcome.faults)))}",
                     f"{outcome.accepted} accepted submissions, {outcome.searches} searches, "
                     f"{time.monotonic() - started:.0f} s", outcome.findings))
        fuzzed = kafka_fuzz.run(platform.bootstrap, platform.topics, args.fuzz, args.fuzz // 5)
        rows.append(("Kafka input fuzzing (aiokafka + kcat)",
                     f"{fuzzed.bad} bad records ({dict(fuzzed.by_kind)}), {fuzzed.valid} valid interleaved",
                     fuzzed.findings))
    finally:
        platform.stop()
    on_cluster = cluster.ClusterPlatform(home / "cluster").start()
    try:
        clustered = cluster.run(on_cluster, rate_per_s=6)
        windows = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in clustered.windows_s.items())
        rows.append((f"three-node cluster: {', '.join(clustered.faults)}",
                     f"{clustered.accepted} accepted submissions, {clustered.searches} searches; 503 windows: "
                     f"{windows}; search not 200 for {clustered.search_gap_s:.1f} s around the Redis failover",
                     clustered.findings))
    finally:
        on_cluster.stop()
    quiet = ChaosPlatform(home / "soak").start()  # its own ledger: the index must equal exactly its businesses
    try:
        soaked = soak.run(quiet, args.soak_seconds, args.soak_rate, max_lag=int(args.soak_rate * 60))
        memory = ", ".join(f"{n.removeprefix('buurt-')} {a:.0f}→{b:.0f} MiB" for n, (a, b) in soaked.memory_mib.items())
        rows.append((f"soak {args.soak_seconds:.0f} s at {args.soak_rate:g} registrations/s",
                     f"{soaked.accepted} accepted, {soaked.searches} searches, max consent lag {soaked.max_lag}, "
                     f"{memory}", soaked.findings))
    finally:
        quiet.stop()
    runs = (platform, on_cluster, quiet)
    logs = [log for run in runs for log in run.logs.glob("*.log")]
    rows.append(("personal data in the services' logs", f"{len(logs)} log files",
                 [finding for run in runs for finding in pii.scan(run.logs)]))
    contract = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/integration/test_registration_contract.py",
         "tests/integration/test_search_contract.py"], check=False, capture_output=True, text=True,
        env={**os.environ, "BUURT_SCHEMATHESIS_EXAMPLES": str(args.schemathesis_examples)})
    rows.append((f"schemathesis, {args.schemathesis_examples} examples per operation",
                 contract.stdout.strip().splitlines()[-1] if contract.stdout.strip() else "no output",
                 [] if contract.returncode == 0 else [contract.stdout[-2000:]]))
    _summary(rows)
    sys.exit(0 if all(not findings for _, _, findings in rows) else 1)


def _summary(rows: list[tuple[str, str, list[str]]]) -> None:
    print("\n| scenario | inputs | invariants |\n|---|---|---|")
    for scenario, inputs, findings in rows:
        verdict = "all hold (records lost: 0)" if not findings else "FAILED: " + "; ".join(findings)
        print(f"| {scenario} | {inputs} | {verdict} |")


if __name__ == "__main__":
    main()
