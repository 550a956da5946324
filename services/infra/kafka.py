"""A single-node Apache Kafka broker in KRaft mode, from the official jars on Maven Central.

The jars are resolved by Maven (`infra/kafka/pom.xml`) into `<cache>/kafka/<version>/libs`; the broker runs as
`java -cp libs/* kafka.Kafka server.properties`, its storage formatted on first start.
"""

import base64
import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from services.infra import paths, process

logger = logging.getLogger(__name__)

# Newest Apache Kafka release with which the suite proves aiokafka works, idempotent and transactional producers and
# the transactional consume-transform-produce loop included (docs/operations.md, "Kafka version").
KAFKA_VERSION = "4.4.0"
POM = paths.REPO_ROOT / "infra" / "kafka" / "pom.xml"


class InfraError(RuntimeError):
    """Local infrastructure could not be provisioned or started."""


@dataclass(frozen=True)
class KafkaNode:
    """Where one local broker lives and listens."""

    home: Path
    port: int = 9092
    controller_port: int = 9093

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "kafka.log"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"


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


def _server_properties(node: KafkaNode) -> str:
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{node.controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{node.port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={node.home / 'logs'}",
        # Topics are created explicitly, with their configs, by `buurt-infra topics` and the tests.
        "auto.create.topics.enable=false",
        "num.partitions=12",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=12",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=12",
        "group.initial.rebalance.delay.ms=0",
        # Lets the erasure tests prove compaction bounds with short per-topic settings.
        "log.cleaner.backoff.ms=1000",
        "log.retention.check.interval.ms=5000",
        "",
    ])


def _java_argv(libs: Path, main: str, *args: str) -> list[str]:
    return ["java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            "-cp", f"{libs}/*", main, *args]


def format_storage(node: KafkaNode, libs: Path) -> None:
    """Format the KRaft log dir once; a formatted dir keeps its data across restarts."""
    if (node.home / "logs" / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    formatted = subprocess.run(  # noqa: S603 - "--cluster-id=": an id starting with "-" is not taken for an option
        _java_argv(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c",
                   str(node.config_file)),
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
    node.config_file.write_text(_server_properties(node))
    format_storage(node, libs)
    process.spawn(_java_argv(libs, "kafka.Kafka", str(node.config_file)), node.log_file, node.pid_file)
    wait_ready(node.bootstrap, timeout, node)


def stop(node: KafkaNode) -> bool:
    return process.stop(node.pid_file, timeout=30.0)


def wait_ready(bootstrap: str, timeout: float = 90.0, node: KafkaNode | None = None) -> None:
    """Block until the broker answers a metadata request (not merely accepts TCP)."""
    def answers() -> bool:
        if node is not None and process.read_pid(node.pid_file) is None:
            raise InfraError(f"Kafka exited during start-up; see {node.log_file}")
        return _answers_metadata(bootstrap)

    if not process.until(answers, timeout):
        raise InfraError(f"Kafka at {bootstrap} did not answer within {timeout:.0f}s")


def _answers_metadata(bootstrap: str) -> bool:
    # kafka-python-free check: aiokafka's admin client in a private event loop.
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), 5)
            await asyncio.wait_for(admin.describe_cluster(), 5)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False
        finally:
            await admin.close()

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # "connection refused" while the broker boots is expected, not an error
    try:
        return asyncio.run(probe())
    finally:
        quiet.setLevel(level)
