"""The platform on a secured three-node cluster and a Redis with a user per service, each service as its own Kafka
principal and Redis user with only their ACLs (services/infra/kafka_acls.py, redis_acls.py): a registration goes
through intake, consent and search, its status is followed, and the auditors' CLI verifies the log as "auditor" —
the ACLs are enough for the platform and no more than the security tests allow."""

from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe

import pytest

from services.common.topics import Topics
from services.infra import process, redis_acls, redis_server
from services.infra.kafka_acls import AUDITOR, SERVICE_PRINCIPALS
from services.infra.kafka_secured import Secured
from tests.kafka_tools import secured_cluster
from tests.platform import Platform, post, running_platform, search_near_gent, status_of, wait_for
from tests.samples import GENT, fresh_enterprise_number, registration_body

TOPICS = Topics("secured.")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Secured]]:
    home: Path = tmp_path_factory.mktemp("secured-platform")
    redis_node = redis_server.RedisNode(home / "redis", process.free_port(), appendonly=False, users=tuple(
        (name, token_urlsafe(24), rule) for name, rule in redis_acls.rules(f"{TOPICS.prefix}buurt:").items()))
    redis_server.start(redis_node)
    try:
        with secured_cluster(home, TOPICS) as (nodes, security):
            own = {service: security.env(principal) for service, principal in SERVICE_PRINCIPALS.items()}
            for service, user in redis_acls.SERVICE_USERS.items():
                own[service] = {**own[service], "REDIS_URL": redis_node.url_for(user)}
            own["buurt-registration"]["REGISTRATION_REDIS_PREFIX"] = f"{TOPICS.prefix}buurt:reg:"
            with running_platform(nodes.bootstrap, redis_node.url_for("search"), TOPICS, home / "logs", own=own,
                                  extra_env={"INSIGHTS_REPLICATION_FACTOR": "3"}) as running:
                yield running, security
    finally:
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
    audited = running.audit("verify", env=security.env(AUDITOR))
    assert audited.returncode == 0, audited.stdout + audited.stderr
