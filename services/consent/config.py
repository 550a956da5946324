"""Consent worker settings (env prefix ``CONSENT_``; Kafka and topics from the shared unprefixed variables)."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.partners import SEEDED_PARTNERS
from services.common.settings import CommonSettings
from services.consent import checkpoints, crypto
from services.consent.note import NoteError, Signer, Verifier

DEFAULT_LOG_NAME = "buurt.local/consent-audit"

MAX_POLL_INTERVAL_S = 120  # the longest a poll's work may take before the consumer counts as gone


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", populate_by_name=True)

    web_host: str = "127.0.0.1"
    web_port: int = 8002
    app_id: str = "buurt-consent"
    partners_file: Path = SEEDED_PARTNERS
    # Secrets have no defaults: `make run` and the tests generate them (services.consent.crypto.generate_secrets).
    master_key: SecretStr = Field(description="base64 AES-256 key that wraps the per-subject data keys")
    signing_key: SecretStr = Field(description="base64 Ed25519 private key that signs audit checkpoints")
    max_batch: int = Field(5000, ge=1, description="input records fetched per poll (over all partitions)")
    log_name: str = Field(DEFAULT_LOG_NAME, pattern=r"^[^\s+]+$",
                          description="the audit log's name: its checkpoints' origin is <name>/<partition>")
    previous_keys: str = Field("", description="verifier keys (vkeys) of earlier signing keys, white-space separated: "
                                               "a restart continues from a checkpoint one of them signed")
    consent_validity_days: float = Field(3 * 365, gt=0, description="consent expires without renewal after this")
    expiry_check_interval_s: float = Field(3600.0, gt=0)
    # How fast a crashed worker's partitions move to the survivors (the Kafka consumer session timeout).
    session_timeout_s: float = Field(20.0, ge=6)
    # A poll whose transactions are still open after this restarts the worker. Below the consumer's poll interval,
    # past which aiokafka leaves the group and never rejoins an idle consumer.
    transaction_deadline_s: float = Field(60.0, gt=0, lt=MAX_POLL_INTERVAL_S)
    intake_keys: SecretStr = Field(description="base64 X25519 private keys the intake seals the consenting person to, "
                                               "newest first, comma-separated (rotation: docs/operations.md)")
    # A registration the intake could check against no KBO snapshot: "list" (with kbo_unverified) or "reject".
    kbo_unverified: Literal["list", "reject"] = "list"

    @field_validator("previous_keys")
    @classmethod
    def _vkeys(cls, value: str) -> str:
        try:
            checkpoints.verifiers(value)
        except NoteError as exc:
            raise ValueError(f"CONSENT_PREVIOUS_KEYS: {exc}") from None
        return value

    def signer(self) -> Signer:
        return Signer(self.log_name, crypto.signing_key(self.signing_key.get_secret_value()))

    def trusted_keys(self) -> list[Verifier]:
        """The keys whose checkpoints this worker continues from: its own, then the earlier ones."""
        return [self.signer().verifier, *checkpoints.verifiers(self.previous_keys)]

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}{self.app_id}"

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.consent_validity_days)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # the secrets come from the environment; missing ones fail here, at start-up
