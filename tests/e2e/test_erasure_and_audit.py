"""Erasure and the auditors' replay, on the whole platform: the person is never in clear in a topic, Redis or a log
(sealed at intake), erasure makes the audit copy unreadable at once, the chain still verifies, and `state --at`
reproduces earlier listed sets."""

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.kafka_admin import create_topics
from services.common.topic_reader import read_topic
from services.common.topics import ALL, Topics
from services.consent.note import COSIGNATURE, Signer
from services.infra import apt
from tests.kafka_tools import produce
from tests.platform import Platform, post, running_platform, search_near_gent, status_of, wait_for
from tests.samples import PARTNER, fresh_enterprise_number, registration_body, signed


@pytest.fixture(scope="module")
def platform(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    topics = Topics(f"gdpr{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("gdpr-logs")) as running:
        yield running


def with_person(number: str, email: str) -> dict[str, Any]:
    body = registration_body(number)
    body["consent"]["person"] = {"name": "Marie Claes", "email": email, "role": "zaakvoerder"}
    return body


def topics_holding(kafka_bootstrap: str, topics: Topics, needle: bytes) -> list[str]:
    holding = []
    for spec in ALL:
        records = asyncio.run(read_topic(kafka_bootstrap, topics.name(spec)))
        if any(needle in (r.value or b"") or needle in (r.key or b"") for r in records):
            holding.append(spec.base)
    return holding


def redis_holds(redis_url: str, needle: bytes) -> bool:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = client.scan_iter(count=1000)
        return any(needle in key or needle in repr(_dump(client, key)).encode() for key in keys)
    finally:
        client.close()


def _dump(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"hash":
        return client.hgetall(key)
    return None  # geo sets, HyperLogLogs and counters hold ids and numbers only


def test_erasure_removes_the_person_everywhere_and_the_log_still_verifies(
        platform: Platform, kafka_bootstrap: str, redis_url: str) -> None:
    erased, kept = fresh_enterprise_number(), fresh_enterprise_number()
    email = f"marie.{uuid.uuid4().hex[:8]}@example.be"
    erased_id = post(platform, "/v1/registrations", with_person(erased, email))
    post(platform, "/v1/registrations", registration_body(kept))
    assert wait_for(lambda: {erased, kept} <= {h["enterprise_number"] for h in search_near_gent(platform)})
    both_listed_at = datetime.now(UTC)  # both grants are recorded by now; the erasure is decided after

    post(platform, "/v1/erasure-requests", {"enterprise_number": erased, "requested_at": datetime.now(UTC).isoformat()})
    assert wait_for(lambda: erased not in {h["enterprise_number"] for h in search_near_gent(platform)}, timeout=5)
    assert wait_for(lambda: status_of(platform, erased_id) == "erased")
    after_erasure = datetime.now(UTC)

    needle = email.encode()
    assert not topics_holding(kafka_bootstrap, platform.topics, needle)  # sealed at intake: never in clear
    assert not redis_holds(redis_url, needle)

    verified = platform.audit("verify")
    assert verified.returncode == 0, verified.stderr
    timeline = platform.audit("history", f"BE {erased[:4]}.{erased[4:7]}.{erased[7:]}")  # as a partner spells it
    assert "granted" in timeline.stdout
    assert "erased" in timeline.stdout
    exported = platform.audit("export", "--decrypt")
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert {r["subject_pii"] for r in rows if r["enterprise_number"] == erased and r["subject_pii"]} == {"[erased]"}
    assert any("Griet" in (r["subject_pii"] or "") for r in rows if r["enterprise_number"] == kept)

    def listed_at(moment: datetime) -> set[str]:
        out = platform.audit("state", "--at", moment.isoformat())
        return {json.loads(line)["enterprise_number"] for line in out.stdout.splitlines()}

    assert {erased, kept} <= listed_at(both_listed_at)
    assert erased not in listed_at(after_erasure)
    assert kept in listed_at(after_erasure)


def test_public_search_and_schema_endpoints_need_no_credentials(platform: Platform) -> None:
    assert httpx.get(f"{platform.registration_url}/v1/schemas/listing").status_code == 200
    assert httpx.get(f"{platform.search_url}/v1/search", params={"lat": 51.05, "lon": 3.72}).status_code == 200



def test_a_damaged_record_on_the_checkpoints_topic_fails_verify_naming_where(platform: Platform,
                                                                             kafka_bootstrap: str) -> None:
    damaged = Topics(f"damaged{uuid.uuid4().hex[:8]}.")  # the module's log stays intact for the other tests
    asyncio.run(create_topics(kafka_bootstrap, damaged))
    assert platform.audit("verify", "--prefix", damaged.prefix).returncode == 0
    asyncio.run(produce(kafka_bootstrap, damaged.checkpoints, [(b"0", b'{"partition": 0, "sequence": 9}')]))
    verified = platform.audit("verify", "--prefix", damaged.prefix)
    assert verified.returncode == 1, verified.stderr
    assert "offset 0: not a signed checkpoint (invalid event: size: missing" in verified.stderr
    assert "checkpoints' topic, partition" in verified.stderr


def raw_topics_holding(kafka_bootstrap: str, prefix: str, needles: list[bytes]) -> dict[str, list[bytes]]:
    """Every topic of the platform read byte for byte by kcat (keys, values and headers, aborted transactions
    included): which of them hold which needle."""
    kcat = apt.ensure("kcat", ["kcat"])
    listing = subprocess.run([kcat, "-b", kafka_bootstrap, "-L", "-J"], capture_output=True, timeout=60, check=True)
    names = [t["topic"] for t in json.loads(listing.stdout)["topics"] if t["topic"].startswith(prefix)]
    holding = {}
    for name in names:
        dump = subprocess.run([kcat, "-b", kafka_bootstrap, "-C", "-t", name, "-e", "-q", "-f", "%k %s %h\n"],
                              capture_output=True, timeout=60, check=True).stdout
        found = [needle for needle in needles if needle in dump]
        if found:
            holding[name] = found
    return holding


def logs_holding(logs: Path, needles: list[bytes]) -> list[str]:
    return [str(path) for path in logs.rglob("*.log") if any(n in path.read_bytes() for n in needles)]


def test_the_consenting_person_is_never_in_clear_in_a_topic_redis_or_a_log(
        platform: Platform, kafka_bootstrap: str, redis_url: str) -> None:
    number, mark = fresh_enterprise_number(), uuid.uuid4().hex[:8]
    name, email = f"Anneke Verhulst-{mark}", f"anneke.{mark}@example.be"
    body = registration_body(number)
    body["consent"]["person"] = {"name": name, "email": email, "role": "zaakvoerder"}
    event_id = post(platform, "/v1/registrations", body)
    assert wait_for(lambda: status_of(platform, event_id) == "listed")
    needles = [name.encode(), email.encode(), mark.encode()]

    assert raw_topics_holding(kafka_bootstrap, platform.topics.prefix, needles) == {}
    assert not any(redis_holds(redis_url, needle) for needle in needles)
    assert logs_holding(platform.logs, needles) == []
    exported = [json.loads(line) for line in platform.audit("export", "--decrypt").stdout.splitlines()]
    assert any(name in (row["subject_pii"] or "") for row in exported if row["enterprise_number"] == number)

    post(platform, "/v1/erasure-requests", {"enterprise_number": number, "requested_at": datetime.now(UTC).isoformat()})
    assert wait_for(lambda: status_of(platform, event_id) == "erased")
    exported = [json.loads(line) for line in platform.audit("export", "--decrypt").stdout.splitlines()]
    assert {row["subject_pii"] for row in exported if row["enterprise_number"] == number and row["subject_pii"]} == {
        "[erased]"}
    assert raw_topics_holding(kafka_bootstrap, platform.topics.prefix, needles) == {}  # at once: no retention wait


def offline(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """buurt-audit in a network namespace of its own: no broker, no network at all (root, as on the CI machine)."""
    binary = Path(sys.executable).with_name("buurt-audit")
    return subprocess.run(["unshare", "--net", str(binary), *args], env=platform.env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_receipt_verifies_offline_and_still_verifies_after_erasure_marked_erased(
        platform: Platform, tmp_path: Path) -> None:
    number, mark = fresh_enterprise_number(), uuid.uuid4().hex[:8]
    body = with_person(number, f"jan.{mark}@example.be")
    event_id = post(platform, "/v1/registrations", body)
    assert wait_for(lambda: status_of(platform, event_id) == "listed")
    key = platform.audit("public-key").stdout.strip()

    issued = platform.audit("receipt", f"BE{number}")
    assert issued.returncode == 0, issued.stderr
    receipt = json.loads(issued.stdout)
    assert receipt["person"] == "[sealed]"  # a reference: the ciphertext is in the record
    assert mark not in issued.stdout
    (tmp_path / "before.json").write_text(issued.stdout)
    checked = offline(platform, "verify-receipt", str(tmp_path / "before.json"), "--key", key)
    assert checked.returncode == 0, checked.stderr
    said = " ".join(checked.stderr.split())
    assert f"OK: receipt of {number}: 1 audit record in the signed tree of partition" in said
    assert "listed; consent approved for listing" in said
    assert f"via {PARTNER}; person: [sealed]" in said
    decrypted = json.loads(platform.audit("receipt", number, "--decrypt").stdout)
    assert decrypted["person"]["email"] == f"jan.{mark}@example.be"

    post(platform, "/v1/erasure-requests", {"enterprise_number": number, "requested_at": datetime.now(UTC).isoformat()})
    assert wait_for(lambda: status_of(platform, event_id) == "erased")
    assert offline(platform, "verify-receipt", str(tmp_path / "before.json"), "--key", key).returncode == 0
    after = platform.audit("receipt", number, "--decrypt")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["person"] == "[erased]"
    assert mark not in after.stdout
    (tmp_path / "after.json").write_text(after.stdout)
    checked = offline(platform, "verify-receipt", str(tmp_path / "after.json"), "--key", key)
    assert checked.returncode == 0, checked.stderr
    assert "2 audit records" in checked.stderr
    assert "person: [erased]" in " ".join(checked.stderr.split())

    forged = json.loads(after.stdout)
    forged["statements"]["listed"] = True
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    refused = offline(platform, "verify-receipt", str(tmp_path / "forged.json"), "--key", key)
    assert refused.returncode == 1
    assert "the receipt's statements are not what its records say" in refused.stderr


def partner_receipt(platform: Platform, number: str, partner: str = PARTNER) -> httpx.Response:
    path = f"/v1/receipts/{number}"
    return httpx.get(f"{platform.registration_url}{path}", headers=signed("GET", path, b"", partner), timeout=10)


def test_a_partner_fetches_its_receipt_and_a_witness_cosigns_the_served_checkpoint(
        platform: Platform, tmp_path: Path) -> None:
    number = fresh_enterprise_number()
    event_id = post(platform, "/v1/registrations", registration_body(number))
    assert wait_for(lambda: status_of(platform, event_id) == "listed")
    assert wait_for(lambda: partner_receipt(platform, number).status_code == 200)
    receipt = partner_receipt(platform, number).json()
    assert {json.loads(r["record"])["partner_id"] for r in receipt["records"]} == {PARTNER}
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    key = platform.audit("public-key").stdout.strip()
    assert offline(platform, "verify-receipt", str(tmp_path / "receipt.json"), "--key", key).returncode == 0
    other = partner_receipt(platform, number, "nsz-koopvanuitjekot")
    assert other.status_code == 404  # a partner sees its own records only
    assert other.headers["content-type"].startswith("application/problem+json")

    partition = receipt["records"][0]["partition"]
    served = httpx.get(f"{platform.registration_url}/v1/audit/checkpoints/{partition}", timeout=10)
    assert served.status_code == 200  # public, read-only: no credentials
    listed = httpx.get(f"{platform.registration_url}/v1/audit/checkpoints", timeout=10).json()["checkpoints"]
    assert partition in {c["partition"] for c in listed}
    witness = Signer("witness.example/w1", Ed25519PrivateKey.generate(), COSIGNATURE)
    text = served.text.split("\n\n")[0] + "\n"
    assert text == receipt["checkpoint"].split("\n\n")[0] + "\n"  # nothing was decided since: the same tree
    receipt["checkpoint"] += witness.signature_line(text, int(datetime.now(UTC).timestamp()))
    (tmp_path / "cosigned.json").write_text(json.dumps(receipt))
    checked = offline(platform, "verify-receipt", str(tmp_path / "cosigned.json"), "--key", key,
                      "--witness", witness.verifier.vkey())
    assert checked.returncode == 0, checked.stderr
    assert "cosigned by witness.example/w1" in checked.stderr
    stranger = Signer("witness.example/w2", Ed25519PrivateKey.generate(), COSIGNATURE).verifier.vkey()
    assert offline(platform, "verify-receipt", str(tmp_path / "cosigned.json"), "--key", key,
                   "--witness", stranger).returncode == 1  # a witness that did not cosign
    kept = tmp_path / "served.note"
    kept.write_text(served.text)
    grown = platform.audit("consistency", str(kept))
    assert grown.returncode == 0, grown.stderr
