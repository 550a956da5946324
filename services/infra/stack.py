"""The local platform of `make run`: broker, Redis, topics, the three services and demo data, under one supervisor."""

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from secrets import token_urlsafe

import httpx
from dotenv import dotenv_values

from services.common import sealing
from services.common.kafka_admin import create_topics
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import Topics
from services.consent.config import DEFAULT_LOG_NAME
from services.consent.crypto import generate_secrets, signing_key
from services.consent.note import Signer
from services.infra import kafka, kafka_acls, process, redis_server, tls
from services.infra.kafka import InfraError
from services.infra.kafka_secured import ADMIN, Secured
from services.infra.settings import InfraSettings


@dataclass(frozen=True)
class Ports:
    """The ports of the local platform (``configured()``: each overridable by its environment variable)."""

    search: int = 8000
    registration: int = 8001
    consent: int = 8002
    insights: int = 8003
    kafka: int = 9092
    kafka_controller: int = 9093
    redis: int = 6379

    @classmethod
    def configured(cls) -> "Ports":
        settings = InfraSettings()
        return cls(settings.search_port, settings.registration_port, settings.consent_port, settings.insights_port,
                   settings.kafka_port, settings.kafka_controller_port, settings.redis_port)


def infra_nodes(data: Path, ports: Ports, brokers: int = 1, secure: bool = False,
                ) -> tuple[kafka.KafkaCluster, redis_server.RedisNode]:
    """One broker in ``data/kafka``; a cluster of ``brokers`` in ``data/kafka-cluster``, node i (from 0) listening on
    KAFKA_PORT + 2i and KAFKA_CONTROLLER_PORT + 2i (9092/9093, 9094/9095, 9096/9097 by default); ``secure``: the
    cluster with TLS, SCRAM and ACLs (kafka_secured.py)."""
    redis_node = redis_server.RedisNode(data / "redis", ports.redis)
    if brokers == 1:
        return kafka.KafkaCluster((kafka.KafkaNode(data / "kafka", ports.kafka, ports.kafka_controller),)), redis_node
    listeners = [("127.0.0.1", ports.kafka + 2 * i, ports.kafka_controller + 2 * i) for i in range(brokers)]
    return kafka.cluster(data / "kafka-cluster", listeners, kafka_security(data) if secure else None), redis_node


KAFKA_USERS = "kafka-users.env"


def kafka_security(data: Path) -> Secured:
    """The secured cluster's CA and node certificate, and a password per principal (admin, each service, the
    auditors, each partner with Kafka access), made once: ``data/kafka-cluster/tls`` and ``data/kafka-users.env``
    (mode 0600; back it up with the data)."""
    path = data / KAFKA_USERS
    principals = kafka_acls.principals(ingress_partners(SEEDED_PARTNERS))
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
    known = {name: value for name, value in dotenv_values(path).items() if value}
    missing = [name for name in principals if name not in known]
    with path.open("a") as file:
        for name in missing:
            known[name] = token_urlsafe(24)
            file.write(f"{name}={known[name]}\n")
    return Secured(tls.ensure(data / "kafka-cluster" / "tls", ["127.0.0.1", "localhost"]), known)


def cluster_size(data: Path) -> int:
    """How many nodes the cluster in ``data`` has (1 when none was made: the single broker)."""
    return len(list((data / "kafka-cluster").glob("node-*"))) or 1


def start_infra(data: Path, ports: Ports, brokers: int = 1, secure: bool = False,
                ) -> tuple[kafka.KafkaCluster, redis_server.RedisNode]:
    """Start (or find running) the broker(s) and Redis, and create the topics, each replicated on up to three
    brokers (and on a secured cluster the ACLs); idempotent."""
    nodes, redis_node = infra_nodes(data, ports, brokers, secure)
    if brokers == 1:
        kafka.start(nodes.nodes[0])
    else:
        kafka.start_cluster(nodes)
    redis_server.start(redis_node)
    provision(nodes, Topics())
    return nodes, redis_node


def provision(nodes: kafka.KafkaCluster, topics: Topics) -> None:
    """Create the platform's topics under ``topics``, each replicated on up to three brokers, and on a secured
    cluster the ACLs for them (as admin)."""
    secured = nodes.nodes[0].secured
    asyncio.run(create_topics(nodes.bootstrap, topics, replication_factor=min(len(nodes.nodes), 3),
                              client=secured.client_options(ADMIN) if secured else None))
    if secured:
        kafka_acls.apply(nodes.bootstrap, secured.librdkafka_options(ADMIN),
                         kafka_acls.grants(topics, ingress_partners(SEEDED_PARTNERS)))


def service_env(broker: kafka.KafkaCluster, redis_node: redis_server.RedisNode, data: Path, ports: Ports,
                ) -> dict[str, str]:
    secrets = local_secrets(data)
    ops_token_hash = hashlib.sha256(secrets.pop(OPS_TOKEN).encode()).hexdigest()
    operator_token_hash = hashlib.sha256(secrets.pop(OPERATOR_TOKEN).encode()).hexdigest()
    return {"SEARCH_OPS_TOKEN_SHA256": ops_token_hash, "REGISTRATION_ADMIN_TOKEN_SHA256": operator_token_hash,
            **os.environ, **secrets,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "REDIS_URL": redis_node.url, "SEARCH_PORT": str(ports.search),
            "REGISTRATION_PORT": str(ports.registration), "CONSENT_WEB_PORT": str(ports.consent),
            "INSIGHTS_WEB_PORT": str(ports.insights), "INSIGHTS_DATA_DIR": str(data / "insights"),
            "REGISTRATION_KBO_DIR": str(data / "kbo"), "REGISTRATION_PROOFS_DIR": str(data / "proofs"),
            "REGISTRATION_PARTNERS_FILE": str(partners_file(data)), "CONSENT_PARTNERS_FILE": str(partners_file(data))}


def partners_file(data: Path) -> Path:
    """The installation's partner registry (what `buurt-registration partners` edits): the seeded partners, copied
    into the data directory on first use (mode 0600: it holds signing secrets)."""
    path = data / "partners.yaml"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(SEEDED_PARTNERS.read_text())
    return path


INTAKE_PRIVATE, INTAKE_PUBLIC = "CONSENT_INTAKE_KEYS", "REGISTRATION_INTAKE_PUBLIC_KEY"
OPS_TOKEN = "BUURT_LOCAL_OPS_TOKEN"  # noqa: S105 - the name of the variable, not a token
OPERATOR_TOKEN = "BUURT_OPERATOR_TOKEN"  # noqa: S105 - the platform operator's credential (docs/partners.md)


AUDIT_KEYS = "REGISTRATION_AUDIT_KEYS"


def local_secrets(data: Path) -> dict[str, str]:
    """This installation's consent master and signing keys, the intake key pair (the person is sealed to it at intake),
    a local ops token and the operator's token, generated once (file mode 0600).

    Losing the keys makes the encrypted audit data unreadable and the checkpoints unverifiable: back the file up.
    The ops token opens /ops and the statistics API of `make run` (production sets SEARCH_OPS_TOKEN_SHA256); the
    operator's token withdraws and erases on a business's request (production sets REGISTRATION_ADMIN_TOKEN_SHA256).
    """
    path = data / "secrets.env"
    if not path.exists():
        master, signing = generate_secrets()
        data.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(f"CONSENT_MASTER_KEY={master}\nCONSENT_SIGNING_KEY={signing}\n")
    secrets = {name: value for name, value in dotenv_values(path).items() if value is not None}
    for token in (OPS_TOKEN, OPERATOR_TOKEN):
        if token not in secrets:  # an installation from before the token
            secrets[token] = token_urlsafe(24)
            with path.open("a") as file:
                file.write(f"{token}={secrets[token]}\n")
    if INTAKE_PRIVATE not in secrets:  # an installation from before the intake seal
        secrets[INTAKE_PRIVATE], secrets[INTAKE_PUBLIC] = sealing.generate()
        with path.open("a") as file:
            file.write(f"{INTAKE_PRIVATE}={secrets[INTAKE_PRIVATE]}\n{INTAKE_PUBLIC}={secrets[INTAKE_PUBLIC]}\n")
    if AUDIT_KEYS not in secrets:  # the log's verifier key (public), for the receipts and checkpoints the
        # registration service serves; derived from the signing key
        secrets[AUDIT_KEYS] = Signer(DEFAULT_LOG_NAME, signing_key(secrets["CONSENT_SIGNING_KEY"])).verifier.vkey()
        with path.open("a") as file:
            file.write(f"{AUDIT_KEYS}={secrets[AUDIT_KEYS]}\n")
    return secrets


SERVICES = ("buurt-registration", "buurt-consent", "buurt-search", "buurt-insights")


def start_services(env: dict[str, str], logs: Path, names: tuple[str, ...] = SERVICES,
                   own: dict[str, dict[str, str]] | None = None) -> list[subprocess.Popen[bytes]]:
    """Start the service entry points of this environment's venv, each logging to ``logs/<name>.log``; ``own``: a
    service's variables of its own (its Kafka principal)."""
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    procs = []
    for name in names:
        with (logs / f"{name}.log").open("ab") as log:
            # A session of its own: Ctrl-C in the terminal reaches `make run`, which stops the services in order.
            procs.append(subprocess.Popen([str(bin_dir / name)], env={**env, **(own or {}).get(name, {})},  # noqa: S603
                                          stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def wait_healthy(urls: list[str], procs: list[subprocess.Popen[bytes]], logs: Path, timeout: float = 90.0) -> None:
    pending = list(urls)

    def all_ready() -> bool:
        if any(p.poll() is not None for p in procs):
            raise InfraError(f"a service exited during start-up; see the logs under {logs}")
        pending[:] = [u for u in pending if not _ok(u)]
        return not pending

    if not process.until(all_ready, timeout):
        raise InfraError(f"not ready after {timeout:.0f}s: {', '.join(pending)}")


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def stop_services(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
