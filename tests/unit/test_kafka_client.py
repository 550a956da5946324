"""How a process authenticates to Kafka, from its environment: nothing for a local broker; SCRAM over TLS, complete
or refused at start-up, its password never shown."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.common.kafka_client import MECHANISM, KafkaAuth


def test_without_variables_a_client_does_not_authenticate() -> None:
    assert not KafkaAuth().secured


def test_a_secured_client_needs_its_name_password_and_ca(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_PASSWORD"):
        KafkaAuth(security_protocol="SASL_SSL", sasl_username="search", ssl_cafile=tmp_path / "ca.pem")
    with pytest.raises(ValidationError):
        KafkaAuth(security_protocol="SASL_PLAINTEXT")  # never a password in clear


def test_the_password_is_never_in_its_representation(tmp_path: Path) -> None:
    auth = KafkaAuth(security_protocol="SASL_SSL", sasl_username="search", sasl_password="s3cret-Pa55",
                     ssl_cafile=tmp_path / "ca.pem")
    assert auth.secured
    assert "s3cret-Pa55" not in repr(auth)
    assert "s3cret-Pa55" not in str(auth.model_dump())
    assert MECHANISM == "SCRAM-SHA-512"
