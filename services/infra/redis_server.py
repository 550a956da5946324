"""A local Redis from Debian's `redis-server`, installed with apt-get when missing and we are root."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import redis

from services.infra import apt, process
from services.infra.kafka import InfraError
from services.infra.redis_acls import ADMIN, REPLICA


@dataclass(frozen=True)
class RedisNode:
    """appendonly with fsync on every write: the consumers commit their Kafka offsets once Redis has applied a
    change, so a change Redis lost in a crash would never be applied again (the fault suite kills Redis)."""

    home: Path
    port: int = 6379
    appendonly: bool = True
    users: tuple[tuple[str, str, str], ...] = ()  # (name, password, ACL rules): redis_acls.py; () = no ACLs
    replica_of: int | None = None  # the port of the primary this node starts as a replica of (redis_sentinel.py)

    @property
    def url(self) -> str:
        """What the infrastructure itself connects with: ``admin`` when the node has users."""
        return self.url_for(ADMIN) if self.users else f"redis://127.0.0.1:{self.port}/0"

    def url_for(self, user: str) -> str:
        return f"redis://{user}:{self.password(user)}@127.0.0.1:{self.port}/0"

    def password(self, user: str) -> str:
        return next(secret for name, secret, _ in self.users if name == user)

    @property
    def config_file(self) -> Path:
        """Replication settings, and what Sentinel writes on a failover (CONFIG REWRITE needs a file)."""
        return self.home / "redis.conf"

    @property
    def acl_file(self) -> Path:
        return self.home / "users.acl"

    @property
    def pid_file(self) -> Path:
        return self.home / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "redis.log"


def ensure_installed() -> str:
    return apt.ensure("redis-server", ["redis-server"])


def start(node: RedisNode, timeout: float = 20.0) -> None:
    if process.read_pid(node.pid_file) is None:
        if process.port_open("127.0.0.1", node.port):
            raise InfraError(f"port {node.port} is taken by a Redis this project did not start; stop it or set "
                             "REDIS_PORT")
        binary = ensure_installed()
        node.home.mkdir(parents=True, exist_ok=True)
        argv = [binary, str(_write_config(node)), "--bind", "127.0.0.1", "--port", str(node.port),
                "--dir", str(node.home),
                "--daemonize", "no", "--save", "", "--protected-mode", "yes",
                "--appendonly", "yes" if node.appendonly else "no", "--appendfsync", "always",
                *(["--aclfile", str(_write_users(node))] if node.users else [])]
        process.spawn(argv, node.log_file, node.pid_file)
    wait_ready(node.url, timeout)


def _write_config(node: RedisNode) -> Path:
    """The replication part of the configuration (mode 0600: the replication user's password), written once: after a
    failover it holds what Sentinel made of this node, which a restart must keep."""
    if node.config_file.exists():
        return node.config_file
    lines = [f"replicaof 127.0.0.1 {node.replica_of}"] if node.replica_of else []
    if any(name == REPLICA for name, _, _ in node.users):  # any node may be a replica after a failover
        lines += [f"masteruser {REPLICA}", f"masterauth {node.password(REPLICA)}"]
    node.config_file.touch(mode=0o600)
    node.config_file.write_text("".join(f"{line}\n" for line in lines))
    return node.config_file


def _write_users(node: RedisNode) -> Path:
    node.acl_file.touch(mode=0o600)
    node.acl_file.write_text(acl_text(node.users))
    return node.acl_file


def acl_text(users: tuple[tuple[str, str, str], ...]) -> str:
    """An ACL file: the default user off, each user with its password (SHA-256 in the file) and rules."""
    lines = ["user default off", *(f"user {name} on #{hashlib.sha256(password.encode()).hexdigest()} {rules}"
                                   for name, password, rules in users)]
    return "".join(f"{line}\n" for line in lines)


def stop(node: RedisNode) -> bool:
    return process.stop(node.pid_file)


def wait_ready(url: str, timeout: float = 20.0) -> None:
    client = redis.Redis.from_url(url, socket_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        if not process.until(answers, timeout, interval=0.2):
            raise InfraError(f"Redis at {url} did not answer within {timeout:.0f}s")
    finally:
        client.close()
