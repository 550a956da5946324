"""Several hosts on this machine, for faults that need a network between them: each host (a Kafka node) in a network
namespace of its own, linked by a veth pair to a bridge in this namespace, where the services and the tests run.
Cutting a host off sets its link down: nothing reaches it or leaves it, as when its cable is pulled; healing sets
the link up again. Root only (``ip netns``); the traffic never leaves the machine."""

import secrets
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Network:
    tag: str  # hex, unique per network: its interfaces' and namespaces' names
    subnet: int  # the third octet of 10.77.<subnet>.0/24
    hosts: int

    @property
    def bridge(self) -> str:
        return f"bb{self.tag}"

    @property
    def gateway(self) -> str:
        return f"10.77.{self.subnet}.1"

    def address(self, host: int) -> str:
        return f"10.77.{self.subnet}.{10 + host}"

    def namespace(self, host: int) -> str:
        return f"buurt-{self.tag}-{host}"

    def link(self, host: int) -> str:
        """The veth end on the bridge (the host's end, inside its namespace, is ``bp<tag><host>``)."""
        return f"bv{self.tag}{host}"


def available() -> bool:
    """Whether namespaces can be made here (root, with ``ip``)."""
    return subprocess.run(["ip", "netns", "list"], check=False, capture_output=True).returncode == 0


def create(hosts: int) -> Network:
    """Hosts 1..``hosts``, each at ``address(i)`` in ``namespace(i)``, all reachable from here and from each other."""
    network = Network(secrets.token_hex(3), _free_subnet(), hosts)
    _ip("link", "add", network.bridge, "type", "bridge")
    _ip("addr", "add", f"{network.gateway}/24", "dev", network.bridge)
    _ip("link", "set", network.bridge, "up")
    for host in range(1, hosts + 1):
        namespace, inside = network.namespace(host), f"bp{network.tag}{host}"
        _ip("netns", "add", namespace)
        _ip("link", "add", network.link(host), "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", network.link(host), "master", network.bridge)
        _ip("link", "set", network.link(host), "up")
        _ip("-n", namespace, "addr", "add", f"{network.address(host)}/24", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        _ip("-n", namespace, "route", "add", "default", "via", network.gateway)
    return network


def _free_subnet() -> int:
    """A 10.77.x.0/24 no interface here uses (one left by a run that died before removing its network would clash)."""
    used = subprocess.run(["ip", "-o", "-4", "addr", "show"], check=True, capture_output=True, text=True).stdout
    free = [x for x in range(1, 251) if f"10.77.{x}." not in used]
    if not free:
        raise RuntimeError("no free 10.77.x.0/24 subnet: remove the networks of earlier runs (ip netns, bb* bridges)")
    return secrets.choice(free)


def cut(network: Network, host: int) -> None:
    _ip("link", "set", network.link(host), "down")


def heal(network: Network, host: int) -> None:
    _ip("link", "set", network.link(host), "up")


def destroy(network: Network) -> None:
    """Remove the namespaces (their veth pairs go with them) and the bridge; what is already gone is skipped."""
    for host in range(1, network.hosts + 1):
        subprocess.run(["ip", "netns", "del", network.namespace(host)], check=False, capture_output=True)
    subprocess.run(["ip", "link", "del", network.bridge], check=False, capture_output=True)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
