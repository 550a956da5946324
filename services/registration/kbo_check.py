"""The intake's KBO check (services/kbo/verify.py) against this process's lookup store; finishing.py stamps it on
every registration whichever way it came (HTTP, batch, CSV, CloudEvents, Kafka ingress), before it is published."""

from pathlib import Path
from typing import IO, Protocol

from services.common import events
from services.common.supervisor import Supervisor
from services.kbo import follower, verify
from services.kbo.store import KboStore, claim_file
from services.registration.config import Settings
from services.registration.errors import RegistrationError


class KboRestoring(RegistrationError):
    """This replica's KBO store is still being restored from the topics: checking now would find nothing."""

    status = 503
    title = "KBO lookup store restoring"
    type_ = "/problems/unavailable"

    def __init__(self) -> None:
        super().__init__("the KBO snapshot is being restored on this replica; retry shortly")


class Verifier(Protocol):
    def check(self, business: events.Business) -> events.KboCheck:
        """Raises KboRestoring while the store cannot answer yet."""


class StoreVerifier:
    def __init__(self, store: KboStore, kbo_follower: follower.KboFollower | None, policy: verify.Policy,
                 lock: IO[str] | None = None) -> None:
        self.store, self.follower, self.policy = store, kbo_follower, policy
        self._lock = lock  # held open: the store file is this process's

    def check(self, business: events.Business) -> events.KboCheck:
        if self.follower is not None and not self.follower.caught_up.is_set():
            raise KboRestoring
        record, snapshot = self.store.lookup(business.enterprise_number)
        return verify.check(business, record, snapshot, self.policy)


def from_settings(settings: Settings, supervisor: Supervisor) -> StoreVerifier:
    """This process's store (a file of its own under REGISTRATION_KBO_DIR), followed by a supervised task."""
    path, lock = claim_file(Path(settings.kbo_dir))
    store = KboStore(path, settings.topics.kbo_enterprises, settings.topics.kbo_snapshots)
    kbo_follower = None
    if settings.follow_kbo:
        kbo_follower = follower.KboFollower(store, settings.kafka_bootstrap_servers)
        supervisor.add(follower.TASK, kbo_follower.run)
    return StoreVerifier(store, kbo_follower, verify.Policy(frozenset(settings.kbo_situations)), lock)
