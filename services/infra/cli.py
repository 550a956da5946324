"""``buurt-infra``: provision and run the local infrastructure (Kafka KRaft from Maven Central, Redis).

    buurt-infra up          start broker and Redis, create topics (idempotent); --brokers 3: a cluster
    buurt-infra down        stop them
    buurt-infra status      what runs where
    buurt-infra topics      create missing topics on KAFKA_BOOTSTRAP_SERVERS (and, secured, the ACLs)
    buurt-infra compose-init  the Docker installation's Kafka and Redis files, from its secrets (compose.py)
    buurt-infra run         `make run`: everything, demo data, URLs; Ctrl-C stops what it started
"""

import asyncio
import logging
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from services.common import kafka_client
from services.common.kafka_admin import create_topics
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import Topics
from services.demo import kbo as demo_kbo
from services.demo.cli import load, summary
from services.infra import compose, kafka, kafka_acls, paths, process, redis_server, stack
from services.infra.kafka import InfraError
from services.kbo import loader
from services.kbo.extract import Extract

app = typer.Typer(help=__doc__, no_args_is_help=True)
console = Console()


BROKERS = typer.Option(min=1, help="Kafka brokers: 1, or a cluster (3: replication factor 3, min.insync.replicas 2)")


@app.command()
def up(brokers: Annotated[int, BROKERS] = 1,
       secure: Annotated[bool, typer.Option(help="a cluster with TLS, SCRAM and ACLs (docs/operations.md)")] = False,
       ) -> None:
    """Start the broker(s) and Redis (fetching and installing what is missing) and create the topics."""
    if secure and brokers == 1:
        raise typer.BadParameter("--secure makes a secured cluster: give --brokers 3")
    data = paths.data_dir()
    nodes, redis_node = stack.start_infra(data, stack.Ports.configured(), brokers, secure)
    console.print(f"Kafka {kafka.KAFKA_VERSION} at {nodes.bootstrap}, Redis at {redis_node.url}")
    if secure:
        console.print(f"SASL_SSL, SCRAM-SHA-512: principals and passwords in {data / stack.KAFKA_USERS}, the CA in "
                      f"{data / 'kafka-cluster' / 'tls' / 'ca.pem'}")


@app.command()
def down() -> None:
    """Stop the broker(s) and Redis started by `up` or `run`."""
    nodes, redis_node = _everything()
    for node in nodes:
        console.print(f"{_name(node)} at {node.bootstrap}: "
                      f"{'stopped' if kafka.stop(node) else 'was not running'}")
    console.print(f"Redis: {'stopped' if redis_server.stop(redis_node) else 'was not running'}")


@app.command()
def status() -> None:
    """Show whether the broker(s) and Redis run."""
    nodes, redis_node = _everything()
    for node in nodes:
        _status(_name(node), node.pid_file, node.bootstrap)
    _status("Redis", redis_node.pid_file, redis_node.url)


def _everything() -> tuple[list[kafka.KafkaNode], redis_server.RedisNode]:
    """The single broker's node and the cluster's, when one was made (their pid files say which run), and Redis."""
    data, ports = paths.data_dir(), stack.Ports.configured()
    single, redis_node = stack.infra_nodes(data, ports)
    size = stack.cluster_size(data)
    made = stack.infra_nodes(data, ports, size)[0].nodes if size > 1 else ()
    return [*single.nodes, *made], redis_node


def _name(node: kafka.KafkaNode) -> str:
    return f"Kafka cluster node {node.node_id}" if node.voters else "Kafka"


def _status(name: str, pid_file: Path, where: str) -> None:
    pid = process.read_pid(pid_file)
    console.print(f"{name}: running (pid {pid}) at {where}" if pid else f"{name}: stopped")


@app.command()
def fetch() -> None:
    """Resolve the Apache Kafka jars into the cache (needs java and mvn)."""
    console.print(f"Kafka jars in {kafka.fetch()}")


@app.command()
def topics(bootstrap: Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")] = "127.0.0.1:9092",
           prefix: Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX")] = "",
           replication_factor: Annotated[int, typer.Option(min=1)] = 1) -> None:
    """Create the platform's topics with their partitions and configs (existing ones are left alone); on a secured
    Kafka (KAFKA_SECURITY_PROTOCOL=SASL_SSL, as admin) also every principal's ACLs."""
    created = asyncio.run(create_topics(bootstrap, Topics(prefix), replication_factor,
                                        client=kafka_client.aiokafka_options()))
    console.print(f"created: {', '.join(created) or 'nothing (all topics exist)'}")
    if kafka_client.auth().secured:
        acls = kafka_acls.grants(Topics(prefix), ingress_partners(SEEDED_PARTNERS))
        kafka_acls.apply(bootstrap, kafka_client.librdkafka_options(), acls)
        console.print(f"ACLs in force: {len(acls)}")


@app.command("compose-init")
def compose_init(
        out: Annotated[Path, typer.Option(help="where the kafka-config and redis-config volumes are")] = Path("/"),
) -> None:
    """Write the Docker installation's Kafka and Redis files from the secrets in the environment (the init
    container of docker-compose.yml)."""
    compose.write_config(out)
    console.print(f"Kafka and Redis configuration written under {out}")


@app.command()
def run(demo: bool = typer.Option(True, help="load demo data on first start"),
        brokers: Annotated[int, BROKERS] = 1) -> None:
    """The whole platform locally with demo data; Ctrl-C (or SIGTERM) stops everything it started."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for stop_request in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # stop in order: the services never outlive us
        signal.signal(stop_request, signal.default_int_handler)
    data, ports = paths.data_dir(), stack.Ports.configured()
    console.print("[bold]buurt[/bold]: starting Kafka and Redis …")
    nodes, redis_node = stack.start_infra(data, ports, brokers)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _load_kbo(demo, data, nodes)  # before the services: their first registrations are checked against it
        env = stack.service_env(nodes, redis_node, data, ports)
        procs = stack.start_services(env, data / "logs")
        stack.wait_healthy([f"http://127.0.0.1:{p}/readyz"
                            for p in (ports.search, ports.registration, ports.consent, ports.insights)],
                           procs, data / "logs")
        _load_demo(demo, data, ports, nodes)
        secrets = stack.local_secrets(data)
        _print_urls(ports, secrets[stack.OPS_TOKEN], secrets[stack.OPERATOR_TOKEN])
        while True:
            time.sleep(1)
            exited = [name for name, proc in zip(stack.SERVICES, procs, strict=True) if proc.poll() is not None]
            if exited:
                raise InfraError(f"{', '.join(exited)} exited; see the logs under {data / 'logs'}")
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        stack.stop_services(procs)
        kafka.stop_cluster(nodes)
        redis_server.stop(redis_node)
    console.print("stopped")


def _load_kbo(demo: bool, data: Path, broker: kafka.KafkaCluster) -> None:
    marker = data / "kbo-loaded"
    if not demo or marker.exists():
        return
    extract = data / "kbo" / "KboOpenData_demo_Full.zip"
    extract.parent.mkdir(parents=True, exist_ok=True)
    demo_kbo.write_extract(extract)
    logging.getLogger(loader.__name__).setLevel(logging.ERROR)  # librdkafka's retries while the broker starts
    with (loader.open_store(data / "kbo" / "loader.sqlite", Topics(), broker.bootstrap) as store,
          Extract(extract) as opened):
        result = loader.load_full(opened, store, broker.bootstrap, Topics(), lambda step, rows: None)
    done = (f"KBO demo snapshot: extract {result.snapshot.extract_number}, {result.published:,} enterprises "
            f"(buurt-kbo status; docs/kbo.md)")
    marker.write_text(done + "\n")
    console.print(done)


def _load_demo(demo: bool, data: Path, ports: stack.Ports, broker: kafka.KafkaCluster) -> None:
    marker = data / "demo-loaded"
    if demo and not marker.exists():
        loaded = asyncio.run(load(f"http://127.0.0.1:{ports.registration}", broker.bootstrap, Topics()))
        marker.write_text(summary(loaded) + "\n")
        console.print(summary(loaded))


def _print_urls(ports: stack.Ports, ops_token: str, operator_token: str) -> None:
    console.print(f"""
[bold green]buurt is running[/bold green] (Ctrl-C stops it)
  shoppers    http://127.0.0.1:{ports.search}/?place=9000
  search      http://127.0.0.1:{ports.search}/v1/search?place=9040%20Sint-Amandsberg&radius_km=10
  search API  http://127.0.0.1:{ports.search}/docs
  partners    http://127.0.0.1:{ports.registration}/docs
  consent     http://127.0.0.1:{ports.consent}/readyz
  insights    http://127.0.0.1:{ports.insights}/readyz (demand insights worker, faust-streaming)
  ops         http://127.0.0.1:{ports.search}/ops (user ops, password {ops_token}; this installation only)
              curl -H 'Authorization: Bearer {ops_token}' http://127.0.0.1:{ports.search}/v1/stats/visitors
  operator    export BUURT_OPERATOR_TOKEN={operator_token}
              (withdrawals and erasures a business asks the platform for: docs/partners.md)
  metrics     /metrics on each of the four ports; logs under {paths.data_dir() / 'logs'}
""", soft_wrap=True)


def main() -> None:
    try:
        app()
    except InfraError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None
