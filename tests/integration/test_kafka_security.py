"""A secured three-node cluster (SASL/SCRAM-SHA-512 over TLS for clients, mutual TLS between the nodes and their
controllers, the StandardAuthorizer with the platform's ACLs): who can connect, and what each principal may do."""

import asyncio
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from services.common.kafka_client import scram_options
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.common.topics import Topics, ingress
from services.infra import kafka, paths, process
from services.infra.kafka_secured import ADMIN, Secured
from tests.kafka_tools import secured_cluster

TOPICS = Topics("sec.")
PARTNERS = ingress_partners(SEEDED_PARTNERS)
PARTITIONS = 12  # of every platform topic read here


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[kafka.KafkaCluster, Secured]]:
    with secured_cluster(tmp_path_factory.mktemp("secured"), TOPICS) as (nodes, security):
        for topic in (TOPICS.submitted, TOPICS.listings, TOPICS.audit, TOPICS.checkpoints,
                      *(TOPICS.name(ingress(p)) for p in PARTNERS)):
            assert asyncio.run(send(nodes.bootstrap, security.client_options(ADMIN), topic))
        yield nodes, security


async def send(bootstrap: str, client: dict[str, Any], topic: str) -> bool:
    """Whether a record was accepted."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **client)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"0000000097")
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()
    return True


async def read(bootstrap: str, client: dict[str, Any], topic: str) -> bool:
    """Whether the topic's records can be read (every topic read here holds one: ``secured`` writes it). A fetch of a
    topic the principal may not even describe is no error to aiokafka: nothing comes."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **client)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        return any((await consumer.getmany(timeout_ms=3000)).values())
    except TopicAuthorizationFailedError:  # when the principal may describe the topic, the refusal is said
        return False
    finally:
        await consumer.stop()


def test_a_client_without_credentials_or_with_a_wrong_password_cannot_connect(
        secured: tuple[kafka.KafkaCluster, Secured]) -> None:
    nodes, security = secured
    with pytest.raises(KafkaError):  # plaintext to a TLS listener: no metadata ever
        asyncio.run(send(nodes.bootstrap, {}, TOPICS.submitted))
    wrong = scram_options(security.tls.ca, "search", "not-the-password")
    with pytest.raises(KafkaError):
        asyncio.run(send(nodes.bootstrap, wrong, TOPICS.listings))
    unknown = scram_options(security.tls.ca, "mallory", security.passwords["search"])
    with pytest.raises(KafkaError):
        asyncio.run(send(nodes.bootstrap, unknown, TOPICS.listings))


def test_each_service_may_do_what_it_needs_and_nothing_more(secured: tuple[kafka.KafkaCluster, Secured]) -> None:
    nodes, security = secured

    def allowed(principal: str, act: Any, topic: str) -> bool:
        return bool(asyncio.run(act(nodes.bootstrap, security.client_options(principal), topic)))

    partner, other = PARTNERS[0], PARTNERS[1]
    granted = [("registration", send, TOPICS.submitted), ("consent", send, TOPICS.audit),
               ("consent", read, TOPICS.submitted), ("search", read, TOPICS.listings),
               ("auditor", read, TOPICS.audit), ("auditor", read, TOPICS.checkpoints),
               (f"partner-{partner}", send, TOPICS.name(ingress(partner)))]
    for principal, act, topic in granted:  # every broker learns the ACLs from the metadata log: within moments
        assert process.until(lambda: allowed(principal, act, topic), 30, interval=0.5), (principal, topic)  # noqa: B023
    refused = [("registration", send, TOPICS.audit),
               ("search", send, TOPICS.audit),  # the index cannot forge the audit log
               ("search", send, TOPICS.listings),
               ("auditor", read, TOPICS.submitted),  # personal data: not the auditors' to read
               ("auditor", send, TOPICS.audit),
               (f"partner-{partner}", send, TOPICS.name(ingress(other))),  # not in another partner's name
               (f"partner-{partner}", send, TOPICS.submitted),
               *((f"partner-{partner}", read, topic)
                 for topic in (TOPICS.submitted, TOPICS.listings, TOPICS.name(ingress(partner))))]
    for principal, act, topic in refused:
        assert not allowed(principal, act, topic), (principal, topic)


def test_no_certificate_key_or_password_file_is_tracked_by_git() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=paths.REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [name for name in tracked if name.endswith((".pem", ".key", ".p12", ".jks", "kafka-users.env"))]
