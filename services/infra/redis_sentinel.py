"""A replicated Redis: a primary, a replica and three sentinels (quorum two) that promote the replica when the primary
stops answering. The services find the primary through the sentinels (services/common/redis_client.py).

What a failover loses: writes the primary acknowledged but had not yet sent to the replica (replication is
asynchronous). The search index notices a missing or emptied index and rebuilds it from ``listings``
(services/search/rebuild.py); the registration service's request store fails closed (docs/operations.md, "Redis").
"""

from dataclasses import dataclass
from pathlib import Path

import redis

from services.common.settings import SENTINEL_MASTER
from services.infra import process, redis_server
from services.infra.kafka import InfraError
from services.infra.redis_acls import SENTINEL
from services.infra.redis_server import RedisNode

SENTINELS = 3
QUORUM = 2
DOWN_AFTER_MS = 1000  # how long the primary may be silent before a sentinel calls it down
FAILOVER_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SentinelNode:
    home: Path
    port: int
    primary_port: int
    password: str = ""  # the ``sentinel`` user's on the Redis nodes; "" when they have no users

    @property
    def config_file(self) -> Path:
        return self.home / "sentinel.conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "sentinel.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "sentinel.log"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=1)


@dataclass(frozen=True)
class ReplicatedRedis:
    primary: RedisNode
    replica: RedisNode
    sentinels: tuple[SentinelNode, ...]

    @property
    def nodes(self) -> tuple[RedisNode, RedisNode]:
        return self.primary, self.replica

    @property
    def sentinel_addresses(self) -> str:
        """``REDIS_SENTINELS`` for the services."""
        return ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)

    def primary_port(self) -> int | None:
        """The port of the node the sentinels now name primary (None while none of them answers)."""
        for sentinel in self.sentinels:
            try:
                with sentinel.client() as client:
                    address = client.sentinel_get_master_addr_by_name(SENTINEL_MASTER)
            except redis.RedisError:
                continue
            if address:
                return int(address[1])
        return None

    def node_at(self, port: int) -> RedisNode:
        return next(node for node in self.nodes if node.port == port)


def replicated(home: Path, users: tuple[tuple[str, str, str], ...] = (), appendonly: bool = True) -> ReplicatedRedis:
    """A primary, its replica and three sentinels on free ports under ``home``; ``users`` as for RedisNode (with the
    ``replica`` and ``sentinel`` users of redis_acls.py when there are any)."""
    primary = RedisNode(home / "primary", process.free_port(), appendonly, users)
    replica = RedisNode(home / "replica", process.free_port(), appendonly, users, replica_of=primary.port)
    password = next((secret for name, secret, _ in users if name == SENTINEL), "")
    sentinels = tuple(SentinelNode(home / f"sentinel-{i}", process.free_port(), primary.port, password)
                      for i in range(1, SENTINELS + 1))
    return ReplicatedRedis(primary, replica, sentinels)


def start(group: ReplicatedRedis, timeout: float = 30.0) -> None:
    """Start every node and wait until the replica is in sync and each sentinel knows the replica and the other
    sentinels (before that, a failover could not happen)."""
    for node in group.nodes:
        redis_server.start(node, timeout)
    for sentinel in group.sentinels:
        _start_sentinel(sentinel)
    if not process.until(lambda: _in_sync(group.replica) and all(map(_informed, group.sentinels)), timeout, 0.2):
        raise InfraError(f"the replicated Redis under {group.primary.home.parent} did not settle within {timeout:.0f}s")


def stop(group: ReplicatedRedis) -> None:
    for sentinel in group.sentinels:
        process.stop(sentinel.pid_file)
    for node in group.nodes:
        redis_server.stop(node)


def _start_sentinel(sentinel: SentinelNode) -> None:
    if process.read_pid(sentinel.pid_file) is not None:
        return
    sentinel.home.mkdir(parents=True, exist_ok=True)
    if not sentinel.config_file.exists():  # Sentinel keeps what it learns in this file: written once
        sentinel.config_file.touch(mode=0o600)
        lines = sentinel_lines("127.0.0.1", sentinel.primary_port, sentinel.password)
        sentinel.config_file.write_text("".join(f"{line}\n" for line in lines))
    argv = [redis_server.ensure_installed(), str(sentinel.config_file), "--sentinel", "--bind", "127.0.0.1",
            "--port", str(sentinel.port), "--dir", str(sentinel.home), "--daemonize", "no"]
    process.spawn(argv, sentinel.log_file, sentinel.pid_file)


def sentinel_lines(host: str, port: int, password: str) -> list[str]:
    """A sentinel's configuration: the primary it watches, how soon it calls it down, the ``sentinel`` user's password
    on the Redis nodes ("" when they have no users)."""
    name = SENTINEL_MASTER
    lines = [f"sentinel monitor {name} {host} {port} {QUORUM}",
             f"sentinel down-after-milliseconds {name} {DOWN_AFTER_MS}",
             f"sentinel failover-timeout {name} {FAILOVER_TIMEOUT_MS}",
             f"sentinel parallel-syncs {name} 1"]
    if password:
        lines += [f"sentinel auth-user {name} {SENTINEL}", f"sentinel auth-pass {name} {password}"]
    return lines


def _in_sync(replica: RedisNode) -> bool:
    try:
        with redis.Redis.from_url(replica.url, socket_timeout=1) as client:
            info = client.info("replication")
    except redis.RedisError:
        return False
    return bool(info.get("role") == "slave" and info.get("master_link_status") == "up")


def _informed(sentinel: SentinelNode) -> bool:
    try:
        with sentinel.client() as client:
            others = client.sentinel_sentinels(SENTINEL_MASTER)
            return bool(client.sentinel_slaves(SENTINEL_MASTER)) and len(others) == SENTINELS - 1
    except redis.RedisError:
        return False
