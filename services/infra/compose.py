"""The Docker installation (docker-compose.yml): its credentials, and the files its containers read.

``make up`` keeps every password in ``.data/secrets.env`` (mode 0600, passed to compose with ``--env-file``); the
compose file reads each from the environment and defaults none. The one-shot ``init`` container turns them into what
Kafka and Redis read, on volumes of their own:

    /kafka-config   cluster.id; node-<i>.properties (SASL/SCRAM over TLS, kafka_secured.py); scram.args (every
                    principal's credential, written into the storage when kafka-node.sh formats it); admin.properties
                    (the health check's client); tls/ca.pem (public), tls/node.pem (the nodes' key: Kafka's user)
    /redis-config   users.acl (a user per service, redis_acls.py; SHA-256 of the passwords); redis-primary.conf,
                    redis-replica.conf, sentinel-<i>.conf, written once: Sentinel rewrites them on a failover
"""

import os
from collections.abc import Mapping
from pathlib import Path
from secrets import token_urlsafe

import yaml
from dotenv import dotenv_values

from services.common.kafka_client import MECHANISM
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.infra import kafka, kafka_acls, redis_acls, redis_sentinel, redis_server, tls
from services.infra.kafka_secured import ADMIN, Secured

KAFKA_UID = 1000  # the apache/kafka image's appuser
APP_UID = 10001  # the buurt image's user (Dockerfile)
REDIS_UID = 999  # the redis image's redis user
KAFKA_HOSTS = ("kafka-1", "kafka-2", "kafka-3")
KAFKA_PORT, CONTROLLER_PORT = 9092, 9093
REDIS_PRIMARY, REDIS_REPLICA = "redis", "redis-replica"
CLUSTER_ID = "BUURT_KAFKA_CLUSTER_ID"
NODES = "BUURT_KAFKA_NODES"


def password_variable(system: str, user: str) -> str:
    """``KAFKA_PASSWORD_CONSENT``, ``REDIS_PASSWORD_SEARCH``, ``KAFKA_PASSWORD_PARTNER_VLAM_LEKKERVANBIJONS``, ..."""
    return f"{system}_PASSWORD_{user.upper().replace('-', '_')}"


def kafka_principals() -> list[str]:
    return kafka_acls.principals(ingress_partners(SEEDED_PARTNERS))


def variables() -> list[str]:
    """Every secret variable of the Docker installation besides the consent keys (stack.local_secrets)."""
    return [CLUSTER_ID, *(password_variable("KAFKA", name) for name in kafka_principals()),
            *(password_variable("REDIS", name) for name in redis_acls.rules())]


def ensure_secrets(data: Path) -> None:
    """Add each missing password (and the Kafka cluster id) to ``data/secrets.env``, made once."""
    path = data / "secrets.env"
    present = dotenv_values(path) if path.exists() else {}
    missing = [name for name in variables() if not present.get(name)]
    with path.open("a") as file:
        for name in missing:
            file.write(f"{name}={kafka.new_cluster_id() if name == CLUSTER_ID else token_urlsafe(24)}\n")


def write_config(out: Path, env: Mapping[str, str] = os.environ) -> None:
    """What the ``init`` container writes: Kafka's files under ``out/kafka-config``, Redis's under
    ``out/redis-config``, the partner registry under ``out/partners`` (``out`` is ``/`` there: the volumes' mount
    points)."""
    _kafka_files(out / "kafka-config", env, int(env.get(NODES, "1")))
    _redis_files(out / "redis-config", env)
    _partners_file(out / "partners")


def _partners_file(home: Path) -> None:
    """The partner registry on its volume, written once: the seeded partners without the demo credentials (no API
    key, a signing secret nobody was given). The operator issues each partner's credentials with `docker compose exec
    registration buurt-registration partners rotate-key <id> --new-signing-secret` (docs/operations.md); the
    directory is the services' user's, whose edits replace the file atomically."""
    path = home / "partners.yaml"
    if path.exists():
        return
    registry = yaml.safe_load(SEEDED_PARTNERS.read_text())
    for spec in registry["partners"].values():
        spec["api_key_sha256"], spec["signing_secret"] = [], token_urlsafe(32)
    header = "# The partner registry (docs/partners.md); edit it with `buurt-registration partners`.\n"
    _private(path, header + yaml.safe_dump(registry, sort_keys=False, allow_unicode=True), APP_UID)
    _own(home, APP_UID)


def _kafka_files(home: Path, env: Mapping[str, str], nodes: int) -> None:
    if nodes not in (1, 3):
        raise ValueError(f"{NODES} is 1 or 3, not {nodes}")
    passwords = {name: _required(env, password_variable("KAFKA", name)) for name in kafka_principals()}
    secured = Secured(tls.ensure(home / "tls", list(KAFKA_HOSTS)), passwords)
    voters = ",".join(f"{i}@{host}:{CONTROLLER_PORT}" for i, host in enumerate(KAFKA_HOSTS[:nodes], start=1))
    _private(home / "cluster.id", _required(env, CLUSTER_ID) + "\n", KAFKA_UID)
    for i, host in enumerate(KAFKA_HOSTS[:nodes], start=1):  # as the nodes see the volumes: at their mount points
        node = kafka.KafkaNode(Path("/var/lib/kafka/data"), KAFKA_PORT, CONTROLLER_PORT, host, i, voters, nodes,
                               Secured(tls.Tls(Path("/kafka-config/tls")), passwords))
        _private(home / f"node-{i}.properties", kafka.server_properties(node), KAFKA_UID)
    _private(home / "scram.args", "".join(f"{arg}\n" for arg in secured.format_args()), KAFKA_UID)
    _private(home / "admin.properties", "".join(f"{line}\n" for line in [
        "security.protocol=SASL_SSL", f"sasl.mechanism={MECHANISM}", "ssl.truststore.type=PEM",
        "ssl.truststore.location=/kafka-config/tls/ca.pem",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN}" password="{passwords[ADMIN]}";']), KAFKA_UID)
    os.chmod(secured.tls.node, 0o400)
    _own(secured.tls.node, KAFKA_UID)
    os.chmod(secured.tls.ca, 0o644)


def _redis_files(home: Path, env: Mapping[str, str]) -> None:
    users = tuple((name, _required(env, password_variable("REDIS", name)), rule)
                  for name, rule in redis_acls.rules().items())
    passwords = {name: secret for name, secret, _ in users}
    _private(home / "users.acl", redis_server.acl_text(users), REDIS_UID)  # always: the passwords may have changed
    replication = [f"masteruser {redis_acls.REPLICA}", f"masterauth {passwords[redis_acls.REPLICA]}",
                   "aclfile /redis-config/users.acl", "appendonly yes", "appendfsync always", "dir /data"]
    _once(home / "redis-primary.conf", [*replication, f"replica-announce-ip {REDIS_PRIMARY}"])
    _once(home / "redis-replica.conf", [*replication, f"replica-announce-ip {REDIS_REPLICA}",
                                        f"replicaof {REDIS_PRIMARY} 6379"])
    for i in range(1, redis_sentinel.SENTINELS + 1):
        _once(home / f"sentinel-{i}.conf", [
            "sentinel resolve-hostnames yes", "sentinel announce-hostnames yes",
            f"sentinel announce-ip sentinel-{i}",
            *redis_sentinel.sentinel_lines(REDIS_PRIMARY, 6379, passwords[redis_acls.SENTINEL])])


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ValueError(f"{name} is not set: run make up, or pass --env-file with the installation's secrets")
    return value


def _once(path: Path, lines: list[str]) -> None:
    if not path.exists():
        _private(path, "".join(f"{line}\n" for line in lines), REDIS_UID)


def _private(path: Path, text: str, uid: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)
    _own(path, uid)


def _own(path: Path, uid: int) -> None:
    if os.geteuid() == 0:  # the init container runs as root; elsewhere (the tests) the files stay the caller's
        os.chown(path, uid, uid)
