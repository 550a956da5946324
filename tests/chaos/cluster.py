"""The cluster stage: the platform on three Kafka nodes (replication factor 3, ``min.insync.replicas=2``) with three
consent workers, two registration and two search replicas, on a Redis primary with a replica and three sentinels,
under a steady partner load and a shopper searching all along (each taking the replicas in turn). The broker leading
the intake's partition is SIGKILLed, then the active controller, then a consent worker (its partitions move to the
others), then the Redis primary (the services follow the promoted replica); afterwards every 202 is decided exactly
once, the index equals the consent state, the statuses agree and the audit log verifies (tests/chaos/invariants.py).
Measured: how long partners were told 503 around each fault, and around the Redis failover how long search did not
answer 200."""

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient

from services.infra import kafka, process, redis_sentinel, redis_server, stack
from tests.chaos import invariants, netns
from tests.chaos.partner import Ledger, Shopper, traffic
from tests.chaos.platform import SERVICES, ChaosPlatform

REPLICAS = {"buurt-consent": 3, "buurt-registration": 2, "buurt-search": 2}
PORT_VARIABLES = {"buurt-consent": "CONSENT_WEB_PORT", "buurt-registration": "REGISTRATION_PORT",
                  "buurt-search": "SEARCH_PORT"}
OUTAGE_S = 8.0
REDIS_FAULT = "Redis primary"
CUT_FAULT = "leader's node cut off the network"
NODES = 3


class ClusterPlatform(ChaosPlatform):
    def __post_init__(self) -> None:
        super().__post_init__()
        # each node on a host of its own (a network namespace) where this machine allows, so that one can be cut off
        self.network = netns.create(NODES) if netns.available() else None
        self.cluster = kafka.local_cluster(self.home / "cluster", NODES) if self.network is None else kafka.cluster(
            self.home / "cluster", [(self.network.address(i), 9092, 9093) for i in range(1, NODES + 1)],
            namespaces=[self.network.namespace(i) for i in range(1, NODES + 1)])
        self.cut_off: int | None = None
        self.workers: list[subprocess.Popen[bytes]] = []  # the consent workers beyond the first
        self.replicas: dict[str, list[str]] = {name: [self.url(name)] for name in SERVICES}
        self.others: list[subprocess.Popen[bytes]] = []  # the other services' further replicas
        self.redis_group = redis_sentinel.replicated(self.home / "redis-group")
        self.redis = self.redis_group.primary  # the current primary: what the invariants read
        self.killed_redis: redis_server.RedisNode | None = None

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "REDIS_SENTINELS": self.redis_group.sentinel_addresses}

    def start(self) -> "ClusterPlatform":
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "ClusterPlatform":
        kafka.start_cluster(self.cluster)
        redis_sentinel.start(self.redis_group)
        stack.provision(self.cluster, self.topics)
        for name in SERVICES:
            self.start_service(name)
        for name, count in REPLICAS.items():
            for _ in range(count - 1):  # further replicas, each with a port of its own
                port = process.free_port()
                [replica] = stack.start_services({**self.env, PORT_VARIABLES[name]: str(port)}, self.logs, (name,))
                stack.wait_healthy([f"http://127.0.0.1:{port}/readyz"], [replica], self.logs, timeout=120)
                (self.workers if name == "buurt-consent" else self.others).append(replica)
                self.replicas[name].append(f"http://127.0.0.1:{port}")
        return self

    def node(self, node_id: int) -> kafka.KafkaNode:
        return next(node for node in self.cluster.nodes if node.node_id == node_id)

    def kill_leader(self) -> None:
        leader = asyncio.run(_leader(self.bootstrap, self.topics.submitted))
        process.kill(self.node(leader).pid_file)
        self.faults.append("SIGKILL the broker leading the intake partition")

    def cut_leader(self) -> None:
        """The intake partition leader's node cut off the network (its link down): alive, but unreachable."""
        assert self.network is not None
        self.cut_off = asyncio.run(_leader(self.bootstrap, self.topics.submitted))
        netns.cut(self.network, self.cut_off)
        self.faults.append("cut the intake partition leader's node off the network")

    def heal(self) -> None:
        """Its link up again; returns once it is back in sync on every intake partition."""
        assert self.network is not None
        assert self.cut_off is not None
        netns.heal(self.network, self.cut_off)
        if not process.until(lambda: asyncio.run(_in_sync(self.bootstrap, self.topics.submitted)), timeout=120):
            raise RuntimeError(f"node {self.cut_off} did not come back in sync within 120 s of the network healing")

    def kill_controller(self) -> None:
        process.kill(self.node(_active_controller(self.cluster)).pid_file)
        self.faults.append("SIGKILL the active controller")

    def restart_nodes(self) -> None:
        kafka.start_cluster(self.cluster)  # the killed node rejoins; the running ones are left alone

    def kill_worker(self) -> None:
        worker = self.workers.pop()
        worker.kill()
        worker.wait(10)
        self.faults.append("SIGKILL a consent worker (its partitions move to the others)")

    def kill_redis_primary(self) -> None:
        self.killed_redis = self.redis
        process.kill(self.redis.pid_file)
        self.faults.append("SIGKILL the Redis primary (Sentinel promotes the replica)")

    def restart_redis(self) -> None:
        """The promoted replica becomes the primary the invariants read; the killed node returns as its replica."""
        assert self.killed_redis is not None
        killed = self.killed_redis.port
        if not process.until(lambda: self.redis_group.primary_port() not in (None, killed), timeout=30):
            raise RuntimeError("the sentinels did not promote the replica within 30 s")
        self.redis = self.redis_group.node_at(self.redis_group.primary_port() or killed)
        redis_server.start(self.killed_redis)

    def stop(self) -> None:
        stack.stop_services([*self.procs.values(), *self.workers, *self.others])
        kafka.stop_cluster(self.cluster)
        redis_sentinel.stop(self.redis_group)
        if self.network is not None:
            netns.destroy(self.network)


@dataclass
class ClusterOutcome:
    faults: list[str]
    accepted: int
    windows_s: dict[str, float]  # per fault: from the first to the last 503 a partner got around it (0: none)
    searches: int
    search_gap_s: float  # the Redis failover: from the first to the last search not answered 200
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def run(platform: ClusterPlatform, rate_per_s: float = 5.0, pause_s: float = 4.0,
        outage_s: float = OUTAGE_S) -> ClusterOutcome:
    findings: list[str] = []
    windows: dict[str, float] = {}
    gap = 0.0
    faults: list[tuple[str, Callable[[], None], Callable[[], None] | None]] = [
        ("partition leader's broker", platform.kill_leader, platform.restart_nodes),
        ("active controller", platform.kill_controller, platform.restart_nodes),
        ("consent worker", platform.kill_worker, None),
        (REDIS_FAULT, platform.kill_redis_primary, platform.restart_redis),
    ]
    if platform.network is not None:
        faults.insert(1, (CUT_FAULT, platform.cut_leader, platform.heal))
    with traffic(platform.replicas["buurt-registration"], platform.replicas["buurt-search"], rate_per_s) as (
            ledger, shopper):
        for what, kill, restart in faults:
            time.sleep(pause_s)  # steady load between faults
            began = time.monotonic()
            kill()
            time.sleep(outage_s)
            if restart is not None:
                restart()
            time.sleep(pause_s)
            windows[what] = _window(ledger, began, time.monotonic())
            if what == REDIS_FAULT:  # search needs Redis: how long it did not answer 200, and it recovered
                gap = _search_gap(shopper, began, time.monotonic())
                findings += _recovered(shopper, began, what)
            else:  # search answers from Redis whatever happens to Kafka
                findings += _searches_answered(shopper, began, what)
            print(f"{time.strftime('%X')} {what} killed; 503 window {windows[what]:.1f} s", flush=True)
    report = invariants.check(platform, ledger)
    return ClusterOutcome(platform.faults, report.accepted, windows, len(shopper.answers), gap,
                          findings + report.findings)


def _recovered(shopper: Shopper, since: float, what: str) -> list[str]:
    """No search hung, and the last ones answered 200 again."""
    seen = [status for at, status in shopper.answers if at >= since]
    findings = [f"a search hung (no answer in 10 s) after the {what} was killed"] if -1 in seen else []
    return findings + ([f"search did not recover from the {what} failure: {seen[-5:]}"] if seen[-5:] != [200] * 5
                       else [])


def _search_gap(shopper: Shopper, start: float, end: float) -> float:
    failed = [at for at, status in shopper.answers if start <= at <= end and status != 200]
    return max(failed) - min(failed) if failed else 0.0


def _window(ledger: Ledger, start: float, end: float) -> float:
    during = [at for at in ledger.unavailable_at if start <= at <= end]
    return max(during) - min(during) if during else 0.0


def _searches_answered(shopper: Shopper, since: float, what: str) -> list[str]:
    """Never an error, never a hang."""
    seen = shopper.between(since, time.monotonic())
    wrong = {status: n for status, n in seen.items() if status != 200}
    return [f"while the {what} was down search answered {wrong}"] if wrong else []


async def _leader(bootstrap: str, topic: str, timeout_s: float = 30) -> int:
    """The broker leading the topic's partition 0 (asked again while the metadata does not name one yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            [described] = await admin.describe_topics([topic])
            leaders = [p["leader"] for p in described["partitions"] if p["partition"] == 0 and p["leader"] >= 0]
            if leaders or time.monotonic() > deadline:
                return int(leaders[0])
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _in_sync(bootstrap: str, topic: str) -> bool:
    """Whether every partition of the topic has all its replicas in sync."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        [described] = await admin.describe_topics([topic])
        return all(len(p["isr"]) == len(p["replicas"]) for p in described["partitions"])
    except Exception:  # noqa: BLE001 - not answering yet is not in sync
        return False
    finally:
        await admin.close()


def _active_controller(nodes: kafka.KafkaCluster) -> int:
    """The quorum's leader (a KRaft cluster tells clients a random broker as its "controller"): Kafka's own
    metadata quorum tool."""
    described = subprocess.run(
        kafka.java_argv(kafka.fetch(), "org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server",
                        nodes.bootstrap, "describe", "--status"),
        capture_output=True, text=True, check=True, timeout=60)
    return int(next(line.split(":")[1] for line in described.stdout.splitlines() if line.startswith("LeaderId")))
