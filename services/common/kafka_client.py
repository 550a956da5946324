"""How this process authenticates to Kafka: not at all (a local broker), or with SASL/SCRAM-SHA-512 over TLS as the
service's own principal (a secured cluster: services/infra/kafka_secured.py, docs/operations.md). Read once from the
environment and the same for every client of the process: aiokafka, librdkafka (confluent-kafka) and faust.

    KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default) or SASL_SSL
    KAFKA_SASL_USERNAME       the service's principal (registration, consent, search, insights, kbo, auditor, ...)
    KAFKA_SASL_PASSWORD       its password (never logged: a SecretStr)
    KAFKA_SSL_CAFILE          the PEM certificate of the CA that signed the brokers' certificate
"""

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MECHANISM = "SCRAM-SHA-512"


class KafkaAuth(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "security_protocol"))
    sasl_username: str = Field("", validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "sasl_username"))
    sasl_password: SecretStr = Field(SecretStr(""),
                                     validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "sasl_password"))
    ssl_cafile: Path | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "ssl_cafile"))

    @model_validator(mode="after")
    def _complete(self) -> "KafkaAuth":
        if self.security_protocol == "SASL_SSL" and not (
                self.sasl_username and self.sasl_password.get_secret_value() and self.ssl_cafile):
            raise ValueError("KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and "
                             "KAFKA_SSL_CAFILE")
        return self

    @property
    def secured(self) -> bool:
        return self.security_protocol == "SASL_SSL"


@lru_cache(maxsize=1)
def auth() -> KafkaAuth:
    return KafkaAuth()


def aiokafka_options() -> dict[str, Any]:
    """This process's options for every aiokafka client it makes."""
    settings = auth()
    if not settings.secured or settings.ssl_cafile is None:
        return {}
    return scram_options(settings.ssl_cafile, settings.sasl_username, settings.sasl_password.get_secret_value())


def librdkafka_options() -> dict[str, str]:
    """This process's settings for every librdkafka (confluent-kafka) client it makes."""
    settings = auth()
    if not settings.secured:
        return {}
    return {"security.protocol": "SASL_SSL", "sasl.mechanism": MECHANISM, "sasl.username": settings.sasl_username,
            "sasl.password": settings.sasl_password.get_secret_value(), "ssl.ca.location": str(settings.ssl_cafile)}


def scram_options(cafile: Path, username: str, password: str) -> dict[str, Any]:
    """aiokafka's options for a SCRAM-SHA-512 client over TLS that trusts the CA in ``cafile``."""
    return {"security_protocol": "SASL_SSL", "sasl_mechanism": MECHANISM, "sasl_plain_username": username,
            "sasl_plain_password": password, "ssl_context": create_ssl_context(cafile=str(cafile))}
