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
    # Bound how long an old value or a tombstone outlives a withdrawal (docs/auditors.md, retention bounds).
    "min.cleanable.dirty.ratio": "0.1",
    "segment.ms": str(3600 * 1000),
    "delete.retention.ms": str(DAY_MS),
})
AUDIT = TopicSpec("consent.audit", {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"})
CHECKPOINTS = TopicSpec("consent.audit.checkpoints",
                        {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"})
DLQ = TopicSpec("registrations.dlq", {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)})

# The consent worker's table of wrapped subject keys (a faust changelog). Erasure deletes a key with a tombstone;
# these settings bound how long the deleted value survives compaction (docs/auditors.md, retention bounds).
SUBJECT_KEYS_CONFIGS = {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": str(3600 * 1000),
    "max.compaction.lag.ms": str(3600 * 1000),
}

ALL = (SUBMITTED, DECISIONS, LISTINGS, AUDIT, CHECKPOINTS, DLQ)


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
    def subject_keys(self) -> str:
        """The changelog of the consent worker's key table (named by faust: <app id>-<table>-changelog)."""
        return f"{self.prefix}buurt-consent-subject-keys-changelog"
