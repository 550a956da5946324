"""The platform on a secured three-node cluster and a Redis with a user per service, each service as its own Kafka
principal and Redis user with only their ACLs (services/infra/kafka_acls.py, redis_acls.py): a registration goes
through intake, consent and search, its status is followed, and the auditors' CLI verifies the log as "auditor" —
the ACLs are enough for the platform and no more than the security tests allow."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe

import pytest

from services.common.kafka_admin import create_topics
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import Topics
from services.infra import kafka, kafka_acls, process, redis_acls, redis_server, tls
from services.infra.kafka_acls import PRINCIPALS, SERVICE_PRINCIPALS
from services.infra.kafka_secured import ADMIN, Secured
from tests.platform import Platform, post, running_platform, search_near_gent, status_of, wait_for
from tests.samples import GENT, fresh_enterprise_number, registration_body

TOPICS = Topics("secured.")
PARTNERS = ingress_partners(SEEDED_PARTNERS)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Secured]]:
    home: Path = tmp_path_factory.mktemp("secured-platform")
    security = Secured(tls.ensure(home / "tls", ["127.0.0.1", "localhost"]),
                       {name: token_urlsafe(24) for name in (ADMIN, *PRINCIPALS,
                                                              *(f"partner-{p}" for p in PARTNERS))})
    nodes = kafka.cluster(home, [("127.0.0.1", process.free_port(), process.free_port()) for _ in range(3)], security)
    redis_node = redis_server.RedisNode(home / "redis", process.free_port(), appendonly=False, users=tuple(
        (name, token_urlsafe(24), rule) for name, rule in redis_acls.rules(f"{TOPICS.prefix}buurt:").items()))
    kafka.start_cluster(nodes)
    redis_server.start(redis_node)
    try:
        asyncio.run(create_topics(nodes.bootstrap, TOPICS, replication_factor=3,
                                  client=security.client_options(ADMIN)))
        kafka_acls.apply(nodes.bootstrap, security.librdkafka_options(ADMIN), kafka_acls.grants(TOPICS, PARTNERS))
        own = {service: security.env(principal) for service, principal in SERVICE_PRINCIPALS.items()}
        for service, user in redis_acls.SERVICE_USERS.items():
            own[service] = {**own[service], "REDIS_URL": redis_node.url_for(user)}
        own["buurt-registration"]["REGISTRATION_REDIS_PREFIX"] = f"{TOPICS.prefix}buurt:reg:"
        with running_platform(nodes.bootstrap, redis_node.url_for("search"), TOPICS, home / "logs", own=own,
                              extra_env={"INSIGHTS_REPLICATION_FACTOR": "3"}) as running:
            yield running, security
    finally:
        kafka.stop_cluster(nodes)
        redis_server.stop(redis_node)


def test_a_registration_is_decided_listed_and_audited_with_least_privilege(
        platform: tuple[Platform, Secured]) -> None:
    running, security = platform
    number = fresh_enterprise_number()
    position = {"lat": GENT["lat"] + 0.01, "lon": GENT["lon"]}
    event_id = post(running, "/v1/registrations", registration_body(number, name="Hoeve Ter Linde",
                                                                     position=position))
    assert wait_for(lambda: any(hit["enterprise_number"] == number for hit in search_near_gent(running)), 60)
    assert wait_for(lambda: status_of(running, event_id) == "listed", 60)
    audited = running.audit("verify", env=security.env("auditor"))
    assert audited.returncode == 0, audited.stdout + audited.stderr
