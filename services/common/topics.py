"""Topic names, partition counts and configs, and the command-free way to create them idempotently."""

from dataclasses import dataclass, field

PARTITIONS = 12  # bounds consumer parallelism; see docs/operations.md "Scaling"
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    base: str
    configs: dict[str, str] = field(default_factory=dict)
    partitions: int = PARTITIONS


SUBMITTED = TopicSpec("registrations.submitted", {"cleanup.policy": "delete", "retention.ms": str(7 * DAY_MS)})
DECISIONS = TopicSpec("registrations.decisions", {"cleanup.policy": "delete", "retention.ms": str(90 * DAY_MS)})
LISTINGS = TopicSpec("listings", {
    "cleanup.policy": "compact",
    # Bound how long an old value or a tombstone outlives a withdrawal (docs/auditors.md, where the person is).
    "min.cleanable.dirty.ratio": "0.1",
    "segment.ms": str(3600 * 1000),
    "delete.retention.ms": str(DAY_MS),
})
AUDIT = TopicSpec("consent.audit", {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"})
# One signed checkpoint per transaction: compaction keeps each partition's latest (key = partition), which signs the
# whole tree; auditors keep the ones they want (`buurt-audit checkpoint`), receipts carry their own.
CHECKPOINTS = TopicSpec("consent.audit.checkpoints", {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1",
                                                      "segment.ms": str(3600 * 1000)})
DLQ = TopicSpec("registrations.dlq", {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)})

# The consent worker's own state, changelogged in compacted topics written in the same transactions as its outputs
# (partition = the input partition). Erasure deletes a subject key with a tombstone; these settings bound how long the
# deleted key survives compaction (docs/auditors.md, where the person is).
CONSENT_STATE = TopicSpec("consent.state", {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"})
SUBJECT_KEYS = TopicSpec("consent.subject-keys", {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": str(3600 * 1000),
    "max.compaction.lag.ms": str(3600 * 1000),
})

# Which partners forwarded a registration of each business (a JSON list, never shrinking): the consent worker's
# changelog of it, and what the registration service follows to answer who may end a listing.
FORWARDERS = TopicSpec("consent.forwarders", {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"})

# Anonymous searches (no position, address or identity of the shopper: events.SearchPerformed), for the demand
# insights; kept a month, which the insights' windows never need more of.
SEARCHES = TopicSpec("search.performed", {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)})

# The demand insights' counts (events.DemandCount), keyed by cell: the latest value of a key is its absolute count.
DEMAND = TopicSpec("insights.demand", {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"})

# The insights worker's table changelog (faust creates it): compacted soon after a window closes and its cells are
# deleted, so that a restart restores the open windows, not the history (services/insights/retention.py).
DEMAND_COUNTS_CHANGELOG_CONFIGS = {"cleanup.policy": "compact", "segment.ms": str(3600 * 1000),
                                   "min.cleanable.dirty.ratio": "0.1", "delete.retention.ms": str(DAY_MS)}

# The KBO/BCE open data the intake checks registrations against (services/kbo): one record per enterprise, and the
# snapshot in force, both written in the one Kafka transaction of a load (read_committed readers switch at once).
KBO_ENTERPRISES = TopicSpec("kbo.enterprises", {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"})
KBO_SNAPSHOTS = TopicSpec("kbo.snapshots", {"cleanup.policy": "compact"}, partitions=1)

ALL = (SUBMITTED, DECISIONS, LISTINGS, AUDIT, CHECKPOINTS, DLQ, CONSENT_STATE, SUBJECT_KEYS, FORWARDERS, SEARCHES,
       DEMAND, KBO_ENTERPRISES, KBO_SNAPSHOTS)


def ingress(partner_id: str) -> TopicSpec:
    """Where a partner with Kafka access writes its CloudEvents (and nowhere else: registrations.submitted is
    buurt's own); its records hold personal data for as long as registrations.submitted does."""
    return TopicSpec(f"ingress.{partner_id}", dict(SUBMITTED.configs))


def ingress_dlq(partner_id: str) -> TopicSpec:
    """Where that partner reads what its ingress could not take, with the reason (the refused records hold personal
    data: kept as long as registrations.submitted, not longer)."""
    return TopicSpec(f"ingress.{partner_id}.dlq", dict(SUBMITTED.configs))


@dataclass(frozen=True)
class Topics:
    """Topic names under an optional prefix, so tests and tenants can share one broker without interfering."""

    prefix: str = ""

    def name(self, spec: TopicSpec) -> str:
        return f"{self.prefix}{spec.base}"

    @property
    def submitted(self) -> str:
        return self.name(SUBMITTED)

    @property
    def decisions(self) -> str:
        return self.name(DECISIONS)

    @property
    def listings(self) -> str:
        return self.name(LISTINGS)

    @property
    def audit(self) -> str:
        return self.name(AUDIT)

    @property
    def checkpoints(self) -> str:
        return self.name(CHECKPOINTS)

    @property
    def dlq(self) -> str:
        return self.name(DLQ)

    @property
    def consent_state(self) -> str:
        return self.name(CONSENT_STATE)

    @property
    def subject_keys(self) -> str:
        return self.name(SUBJECT_KEYS)

    @property
    def forwarders(self) -> str:
        return self.name(FORWARDERS)

    @property
    def searches(self) -> str:
        return self.name(SEARCHES)

    @property
    def demand(self) -> str:
        return self.name(DEMAND)

    @property
    def kbo_enterprises(self) -> str:
        return self.name(KBO_ENTERPRISES)

    @property
    def kbo_snapshots(self) -> str:
        return self.name(KBO_SNAPSHOTS)
