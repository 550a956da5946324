"""Who may do what on a secured Kafka (kafka_secured.py): one principal per service, each granted only what it needs,
derived from the platform's topics (services/common/topics.py), its partners with Kafka access, and the services'
consumer groups and transactional ids (all named ``<topic prefix>buurt-<service>…``). Nothing else is allowed
(``allow.everyone.if.no.acl.found=false``); ``admin`` (topics, ACLs, the brokers among themselves) is a super user.

    registration  writes registrations.submitted (transactions); reads the decisions, forwarders, KBO and audit
                  topics and the partners' ingress topics; writes the ingress dead letters
    consent       reads registrations.submitted; writes decisions, listings, audit, checkpoints, dead letters and its
                  changelogs, in transactions (transactional ids and groups prefixed with its name)
    search        reads listings; writes the anonymous search.performed events
    insights      reads search.performed; writes insights.demand and its own changelog topics (faust creates them)
    kbo           writes kbo.enterprises and kbo.snapshots (the loader's transactions)
    auditor       reads consent.audit and its checkpoints, and nothing else
    partner-<id>  writes its own ingress topic, and nothing else
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from services.common.topics import Topics, ingress, ingress_dlq
from services.infra.kafka import InfraError
from services.infra.kafka_secured import ADMIN
from services.infra.process import until

# The principal each service runs as (its entry point's name); the auditors' CLI runs as "auditor", and a partner
# with Kafka access as "partner-<partner id>".
SERVICE_PRINCIPALS = {"buurt-registration": "registration", "buurt-consent": "consent", "buurt-search": "search",
                      "buurt-insights": "insights", "buurt-kbo": "kbo"}
AUDITOR = "auditor"


def partner_principal(partner: str) -> str:
    return f"partner-{partner}"


def principals(partners: list[str]) -> list[str]:
    """Every principal of a secured cluster: admin, the services', the auditors', each Kafka partner's."""
    return [ADMIN, *SERVICE_PRINCIPALS.values(), AUDITOR, *map(partner_principal, partners)]

Resource = Literal["topic", "group", "transactional_id", "cluster"]
Operation = Literal["READ", "WRITE", "DESCRIBE", "CREATE", "IDEMPOTENT_WRITE", "ALTER_CONFIGS", "DESCRIBE_CONFIGS"]


@dataclass(frozen=True)
class Grant:
    principal: str
    resource: Resource
    name: str
    operation: Operation
    prefixed: bool = False


def grants(topics: Topics, partners: list[str]) -> list[Grant]:
    """Every ACL of the platform, for the topics under ``topics.prefix`` and the partners with Kafka access (each
    once: reading and writing a topic both need DESCRIBE)."""
    return list(dict.fromkeys(_grants(topics, partners)))


def _grants(topics: Topics, partners: list[str]) -> Iterator[Grant]:
    ingress_topics = [topics.name(ingress(p)) for p in partners]
    yield from _writes("registration", [topics.submitted, *(topics.name(ingress_dlq(p)) for p in partners)])
    yield from _reads("registration", [topics.decisions, topics.forwarders, topics.kbo_enterprises,
                                       topics.kbo_snapshots, topics.audit, topics.checkpoints, *ingress_topics])
    yield from _own("registration", topics, transactions=True)
    # Its KBO follower assigns its partitions, but librdkafka still finds the coordinator of its group (buurt-kbo-…)
    yield Grant("registration", "group", "buurt-kbo-", "READ", prefixed=True)
    yield from _reads("consent", [topics.submitted, topics.consent_state, topics.subject_keys, topics.forwarders,
                                  topics.audit, topics.checkpoints])
    yield from _writes("consent", [topics.decisions, topics.listings, topics.audit, topics.checkpoints, topics.dlq,
                                   topics.consent_state, topics.subject_keys, topics.forwarders])
    yield from _own("consent", topics, transactions=True)
    yield from _reads("search", [topics.listings])
    yield from _writes("search", [topics.searches])
    yield from _own("search", topics)
    yield from _reads("insights", [topics.searches])
    yield from _writes("insights", [topics.demand])
    yield from _own("insights", topics, transactions=False, own_topics=True)
    yield from _writes("kbo", [topics.kbo_enterprises, topics.kbo_snapshots])
    yield from _reads("kbo", [topics.kbo_enterprises, topics.kbo_snapshots])
    yield from _own("kbo", topics, transactions=True)
    yield from _reads(AUDITOR, [topics.audit, topics.checkpoints])
    for partner in partners:
        yield from _writes(partner_principal(partner), [topics.name(ingress(partner))])


def _reads(principal: str, names: list[str]) -> Iterator[Grant]:
    for name in names:
        yield Grant(principal, "topic", name, "READ")
        yield Grant(principal, "topic", name, "DESCRIBE")


def _writes(principal: str, names: list[str]) -> Iterator[Grant]:
    for name in names:
        yield Grant(principal, "topic", name, "WRITE")
        yield Grant(principal, "topic", name, "DESCRIBE")


def _own(principal: str, topics: Topics, transactions: bool = False, own_topics: bool = False) -> Iterator[Grant]:
    """The service's consumer groups (and transactional ids, and topics it creates), by the prefix of its name."""
    yield Grant(principal, "group", f"{topics.prefix}buurt-{principal}", "READ", prefixed=True)
    yield Grant(principal, "cluster", "kafka-cluster", "IDEMPOTENT_WRITE")
    if transactions:
        for name in (f"buurt-{principal}", f"{topics.prefix}buurt-{principal}"):
            yield Grant(principal, "transactional_id", name, "WRITE", prefixed=True)
            yield Grant(principal, "transactional_id", name, "DESCRIBE", prefixed=True)
    if own_topics:
        for operation in ("CREATE", "READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"):
            yield Grant(principal, "topic", f"{topics.prefix}buurt-{principal}", operation, prefixed=True)


def apply(bootstrap: str, admin_options: dict[str, str], acls: list[Grant]) -> None:
    """Create the ACLs (an existing one is left as it is), as ``admin``; ``admin_options``: librdkafka's security
    settings (kafka_secured.Secured.librdkafka_options)."""
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.admin._acl import (  # not re-exported for mypy
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
    )
    from confluent_kafka.admin._resource import ResourcePatternType, ResourceType

    types = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.BROKER,
             "transactional_id": ResourceType.TRANSACTIONAL_ID}
    client = AdminClient({"bootstrap.servers": bootstrap, **admin_options})
    bindings = [AclBinding(types[grant.resource], grant.name,
                           ResourcePatternType.PREFIXED if grant.prefixed else ResourcePatternType.LITERAL,
                           f"User:{grant.principal}", "*", AclOperation[grant.operation], AclPermissionType.ALLOW)
                for grant in acls]
    for created in client.create_acls(bindings, request_timeout=30).values():
        created.result()
    every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
                             AclOperation.ANY, AclPermissionType.ANY)  # None: any name, principal, host

    def in_force() -> bool:  # the controllers spread new ACLs to the brokers through the metadata log
        return set(bindings) <= set(client.describe_acls(every, request_timeout=10).result())

    if not until(in_force, 60, interval=0.2):
        raise InfraError("the Kafka ACLs were created but did not come into force within 60 s")
