"""A local Redis from Debian's `redis-server`, installed with apt-get when missing and we are root."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import redis

from services.infra import apt, process
from services.infra.kafka import InfraError
from services.infra.redis_acls import ADMIN


@dataclass(frozen=True)
class RedisNode:
    """appendonly with fsync on every write: the consumers commit their Kafka offsets once Redis has applied a
    change, so a change Redis lost in a crash would never be applied again (the fault suite kills Redis)."""

    home: Path
    port: int = 6379
    appendonly: bool = True
    users: tuple[tuple[str, str, str], ...] = ()  # (name, password, ACL rules): redis_acls.py; () = no ACLs

    @property
    def url(self) -> str:
        """What the infrastructure itself connects with: ``admin`` when the node has users."""
        return self.url_for(ADMIN) if self.users else f"redis://127.0.0.1:{self.port}/0"

    def url_for(self, user: str) -> str:
        password = next(secret for name, secret, _ in self.users if name == user)
        return f"redis://{user}:{password}@127.0.0.1:{self.port}/0"

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
        argv = [binary, "--bind", "127.0.0.1", "--port", str(node.port), "--dir", str(node.home),
                "--daemonize", "no", "--save", "", "--protected-mode", "yes",
                "--appendonly", "yes" if node.appendonly else "no", "--appendfsync", "always",
                *(["--aclfile", str(_write_users(node))] if node.users else [])]
        process.spawn(argv, node.log_file, node.pid_file)
    wait_ready(node.url, timeout)


def _write_users(node: RedisNode) -> Path:
    """The ACL file: the default user off, each user with its password (SHA-256 in the file) and rules."""
    lines = ["user default off", *(f"user {name} on #{hashlib.sha256(password.encode()).hexdigest()} {rules}"
                                   for name, password, rules in node.users)]
    node.acl_file.touch(mode=0o600)
    node.acl_file.write_text("\n".join(lines) + "\n")
    return node.acl_file


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
