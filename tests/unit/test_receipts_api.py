"""The registration service's receipts and checkpoints endpoints over a proof index built from a log the decider
wrote: the served note is the signed one, an unknown partition is a 404, and what cannot be read now is a 503 with
Retry-After — never a 500 (the broker here is a closed port)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from services.common import sealing
from services.consent.proofs import ProofIndex
from services.infra import process
from services.registration.config import Settings
from services.registration.main import create_app
from tests.fakes import InMemoryPublisher, InMemoryRequestStore, KboSnapshotOf
from tests.samples import signed
from tests.unit.consent_samples import NUMBER, PARTNER
from tests.unit.test_ledger import written

CLOSED = f"127.0.0.1:{process.free_port()}"
_, INTAKE_PUBLIC = sealing.generate()


def app_with(tmp_path: Path, keys: str) -> TestClient:
    settings = Settings(topic_prefix="unit.", consume_decisions=False, consume_ingress=False, follow_kbo=False,
                        intake_public_key=INTAKE_PUBLIC, kafka_bootstrap_servers=CLOSED, audit_keys=keys,
                        proofs_dir=tmp_path / "proofs")
    return TestClient(create_app(settings, InMemoryPublisher(), InMemoryRequestStore(), KboSnapshotOf()))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    records, checkpoints, trusted = written()
    with app_with(tmp_path, trusted[0].vkey()) as test_client:
        proofs = test_client.app.state.proofs  # type: ignore[attr-defined]
        with ProofIndex(proofs.path, proofs.installation) as index, index.update(records, checkpoints, trusted):
            pass
        proofs.ready = True
        yield test_client


def receipt(client: TestClient, number: str, partner: str = PARTNER) -> httpx.Response:
    path = f"/v1/receipts/{number}"
    response: httpx.Response = client.get(path, headers=signed("GET", path, b"", partner))
    return response


def test_the_served_checkpoint_is_the_signed_note_and_an_unknown_partition_is_404(client: TestClient) -> None:
    note = client.get("/v1/audit/checkpoints/2")
    assert note.status_code == 200
    assert note.text.startswith("buurt.test/consent-audit/2\n6\n")
    assert client.get("/v1/audit/checkpoints").json()["checkpoints"][0]["partition"] == 2
    missing = client.get("/v1/audit/checkpoints/7")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_a_receipt_while_the_log_cannot_be_read_is_503_with_retry_after(client: TestClient) -> None:
    response = receipt(client, NUMBER)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "the consent log cannot be read now" in response.json()["detail"]
    assert receipt(client, "0428.759.498").status_code == 422  # a wrong check digit
    assert receipt(client, "0403170701").status_code == 404  # nothing about it in the index


def test_without_the_logs_key_receipts_and_checkpoints_are_503(tmp_path: Path) -> None:
    with app_with(tmp_path, "") as client:
        response = client.get("/v1/audit/checkpoints")
        assert response.status_code == 503
        assert "REGISTRATION_AUDIT_KEYS" in response.json()["detail"]
