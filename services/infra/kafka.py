"""Apache Kafka in KRaft mode, from the official jars on Maven Central: one node (`make run`, the tests), or a cluster
of three (`buurt-infra up --brokers 3`, the cluster tests).

The jars are resolved by Maven (`infra/kafka/pom.xml`) into `<cache>/kafka/<version>/libs`; each node runs as
`java -cp libs/* kafka.Kafka server.properties`, its storage formatted on first start.

A cluster's nodes are combined broker+controller nodes: three processes instead of six on the machines this runs on,
and a controller quorum of three that survives the loss of any one node. Separate controllers pay off when the
brokers are many or heavily loaded (a broker's garbage collection pauses then never stall the quorum); at three nodes
the quorum and the replicas fail together anyway (docs/operations.md, "A Kafka cluster").
"""

import base64
import logging
import shutil
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.infra import paths, process
from services.infra.kafka_secured import ADMIN, Secured

logger = logging.getLogger(__name__)

# Newest Apache Kafka release with which the suite proves aiokafka works, idempotent and transactional producers and
# the transactional consume-transform-produce loop included (docs/operations.md, "Kafka version").
KAFKA_VERSION = "4.4.0"
POM = paths.REPO_ROOT / "infra" / "kafka" / "pom.xml"


class InfraError(RuntimeError):
    """Local infrastructure could not be provisioned or started."""


@dataclass(frozen=True)
class KafkaNode:
    """Where one local node lives and listens; in a cluster, its id and the controller quorum's voters."""

    home: Path
    port: int = 9092
    controller_port: int = 9093
    host: str = "127.0.0.1"
    node_id: int = 1
    voters: str = ""  # controller.quorum.voters of a cluster; "" = this node alone
    replicas: int = 1  # the replication factor of the internal topics and the default of new topics
    secured: Secured | None = None  # SASL/SCRAM over TLS and ACLs (kafka_secured.py); None: plaintext, no ACLs
    netns: str = ""  # the network namespace the node runs in (the fault suite's network cuts); "": this one

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def quorum(self) -> str:
        return self.voters or f"{self.node_id}@{self.host}:{self.controller_port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "kafka.log"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"


@dataclass(frozen=True)
class KafkaCluster:
    """Nodes that form one cluster (``cluster()``)."""

    nodes: tuple[KafkaNode, ...]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)


def cluster(home: Path, listeners: list[tuple[str, int, int]], secured: Secured | None = None,
            namespaces: list[str] | None = None) -> KafkaCluster:
    """A cluster of one node per (host, port, controller port), node ids from 1, homes ``home/node-<id>``; each in
    its network namespace of ``namespaces``, when given."""
    voters = ",".join(f"{i}@{host}:{controller}" for i, (host, _, controller) in enumerate(listeners, 1))
    netns = namespaces or [""] * len(listeners)
    return KafkaCluster(tuple(
        KafkaNode(home / f"node-{i}", port, controller, host, i, voters, min(len(listeners), 3), secured, ns)
        for i, ((host, port, controller), ns) in enumerate(zip(listeners, netns, strict=True), 1)))


def libs_dir(version: str = KAFKA_VERSION) -> Path:
    return paths.cache_dir() / "kafka" / version / "libs"


def fetch(version: str = KAFKA_VERSION) -> Path:
    """Resolve the broker and tools jars with Maven unless already cached."""
    libs = libs_dir(version)
    if (libs / f"kafka_2.13-{version}.jar").exists():
        return libs
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise InfraError(f"{tool} not found: install OpenJDK 17+ and Maven (apt-get install openjdk-17-jdk maven)")
    logger.info("resolving Apache Kafka %s jars with Maven", version)
    partial = libs.with_name("libs.partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(  # noqa: S603 - fixed argv
        [shutil.which("mvn") or "mvn", "-q", "-B", "-f", str(POM), f"-Dkafka.version={version}",
         "dependency:copy-dependencies", f"-DoutputDirectory={partial}"],
        check=True,
    )
    partial.rename(libs)
    return libs


def server_properties(node: KafkaNode) -> str:
    in_sync = 2 if node.replicas >= 3 else 1  # acks=all then survives the loss of one replica
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node.node_id}",
        f"controller.quorum.voters={node.quorum}",
        *(node.secured.server_lines(node.host, node.port, node.controller_port) if node.secured else [
            f"listeners=PLAINTEXT://{node.host}:{node.port},CONTROLLER://{node.host}:{node.controller_port}",
            f"advertised.listeners=PLAINTEXT://{node.host}:{node.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ]),
        f"log.dirs={node.home / 'logs'}",
        # Topics are created explicitly, with their configs, by `buurt-infra topics` and the tests.
        "auto.create.topics.enable=false",
        "num.partitions=12",
        f"default.replication.factor={node.replicas}",
        f"min.insync.replicas={in_sync}",
        "unclean.leader.election.enable=false",  # a replica that missed writes never becomes leader: no loss
        f"offsets.topic.replication.factor={node.replicas}",
        "offsets.topic.num.partitions=12",
        f"transaction.state.log.replication.factor={node.replicas}",
        f"transaction.state.log.min.isr={in_sync}",
        "transaction.state.log.num.partitions=12",
        "group.initial.rebalance.delay.ms=0",
        # Lets the erasure tests prove compaction bounds with short per-topic settings.
        "log.cleaner.backoff.ms=1000",
        "log.retention.check.interval.ms=5000",
        "",
    ])


def java_argv(libs: Path, main: str, *args: str) -> list[str]:
    return ["java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            "-cp", f"{libs}/*", main, *args]


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def format_storage(node: KafkaNode, libs: Path, cluster_id: str | None = None) -> None:
    """Format the KRaft log dir once (every node of a cluster with the cluster's id); a formatted dir keeps its data
    across restarts."""
    if (node.home / "logs" / "meta.properties").exists():
        return
    cluster_id = cluster_id or new_cluster_id()
    formatted = subprocess.run(  # noqa: S603 - "--cluster-id=": an id starting with "-" is not taken for an option
        java_argv(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c",
                   str(node.config_file), *(node.secured.format_args() if node.secured else [])),
        check=False, capture_output=True, text=True,
    )
    if formatted.returncode != 0:
        raise InfraError(f"formatting the Kafka storage failed: {formatted.stderr.strip()[-2000:]}")


def start(node: KafkaNode, version: str = KAFKA_VERSION, timeout: float = 90.0) -> None:
    """Fetch, configure, format and start the broker; returns once it answers metadata requests."""
    if process.read_pid(node.pid_file) is not None:
        wait_ready(node.bootstrap, timeout)
        return
    if process.port_open("127.0.0.1", node.port):
        raise InfraError(f"port {node.port} is taken by a broker this project did not start; stop it or set "
                         "KAFKA_PORT")
    libs = fetch(version)
    node.home.mkdir(parents=True, exist_ok=True)
    node.config_file.write_text(server_properties(node))
    format_storage(node, libs)
    process.spawn(java_argv(libs, "kafka.Kafka", str(node.config_file)), node.log_file, node.pid_file)
    wait_ready(node.bootstrap, timeout, node)


def stop(node: KafkaNode) -> bool:
    return process.stop(node.pid_file, timeout=30.0)


def local_cluster(home: Path, size: int = 3, secured: Secured | None = None) -> KafkaCluster:
    """A cluster of ``size`` nodes on free loopback ports (the tests and the fault suite)."""
    return cluster(home, [("127.0.0.1", process.free_port(), process.free_port()) for _ in range(size)], secured)


def start_cluster(nodes: KafkaCluster, version: str = KAFKA_VERSION, timeout: float = 180.0) -> None:
    """Configure, format (one cluster id, kept in the first node's home) and start every node; returns once every
    broker is registered with the controllers and answers."""
    libs = fetch(version)
    id_file = nodes.nodes[0].home.parent / "cluster.id"
    if not id_file.exists():
        id_file.parent.mkdir(parents=True, exist_ok=True)
        id_file.write_text(new_cluster_id())
    for node in nodes.nodes:
        if process.read_pid(node.pid_file) is not None:
            continue
        if process.port_open(node.host, node.port):
            raise InfraError(f"port {node.port} is taken by a broker this project did not start")
        node.home.mkdir(parents=True, exist_ok=True)
        node.config_file.touch(mode=0o600)  # a secured node's holds the admin's password
        node.config_file.chmod(0o600)
        node.config_file.write_text(server_properties(node))
        format_storage(node, libs, id_file.read_text().strip())
        inside = ["ip", "netns", "exec", node.netns] if node.netns else []  # exec: the pid is the node's
        process.spawn([*inside, *java_argv(libs, "kafka.Kafka", str(node.config_file))], node.log_file, node.pid_file)
    if not process.until(lambda: _brokers(nodes) == len(nodes.nodes), timeout):
        raise InfraError(f"the Kafka cluster at {nodes.bootstrap} did not have its {len(nodes.nodes)} brokers "
                         f"within {timeout:.0f}s; see the nodes' kafka.log under {nodes.nodes[0].home.parent}")


def stop_cluster(nodes: KafkaCluster) -> list[bool]:
    """Stop every node at once (one after the other, the last ones wait on a quorum that is leaving)."""
    with ThreadPoolExecutor(len(nodes.nodes)) as pool:
        return list(pool.map(stop, nodes.nodes))


def _brokers(nodes: KafkaCluster) -> int:
    for node in nodes.nodes:
        if process.read_pid(node.pid_file) is None:
            raise InfraError(f"Kafka node {node.node_id} exited during start-up; see {node.log_file}")
    secured = nodes.nodes[0].secured
    return _brokers_answering(nodes.bootstrap, secured.client_options(ADMIN) if secured else {})


def wait_ready(bootstrap: str, timeout: float = 90.0, node: KafkaNode | None = None) -> None:
    """Block until the broker answers a metadata request (not merely accepts TCP)."""
    def answers() -> bool:
        if node is not None and process.read_pid(node.pid_file) is None:
            raise InfraError(f"Kafka exited during start-up; see {node.log_file}")
        return _answers_metadata(bootstrap)

    if not process.until(answers, timeout):
        raise InfraError(f"Kafka at {bootstrap} did not answer within {timeout:.0f}s")


def _answers_metadata(bootstrap: str) -> bool:
    return _brokers_answering(bootstrap) > 0


def _brokers_answering(bootstrap: str, options: dict[str, Any] | None = None) -> int:
    """How many brokers the cluster's metadata lists (0 while it cannot answer); aiokafka's admin client in a private
    event loop."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def count() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000, **(options or {}))
        try:
            await asyncio.wait_for(admin.start(), 5)
            described = await asyncio.wait_for(admin.describe_cluster(), 5)
            return len(described["brokers"])
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return 0
        finally:
            await admin.close()

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # "connection refused" while the broker boots is expected, not an error
    try:
        return asyncio.run(count())
    finally:
        quiet.setLevel(level)
