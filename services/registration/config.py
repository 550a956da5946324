"""Registration settings (env prefix ``REGISTRATION_``; Kafka, Redis and topics from the shared variables)."""

from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common import sealing
from services.common.partners import SEEDED_PARTNERS
from services.common.settings import CommonSettings
from services.kbo.verify import TRADING_SITUATIONS


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8001
    workers: int = Field(1, ge=1, description="uvicorn worker processes (the request state is in Redis and Kafka; "
                                              "~1 per core)")
    partners_file: Path = SEEDED_PARTNERS
    redis_prefix: str = "buurt:reg:"
    publish_timeout_s: float = Field(5.0, gt=0, description="bound on waiting for the broker before 503")
    retry_after_s: int = Field(5, ge=1)
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="single-event requests")
    max_bulk_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="batches, CloudEvents batches, CSV uploads")
    rate_limit_per_minute: int = Field(1200, ge=1, description="requests per partner per minute")
    admin_token_sha256: str | None = Field(None, description="SHA-256 of the admin bearer token for erasure")
    consume_decisions: bool = Field(True, description="follow registrations.decisions (statuses) and "
                                                      "consent.forwarders (who may end a listing)")
    consume_ingress: bool = Field(True, description="take the partners' Kafka ingress topics (ingress.<partner>)")
    max_km_from_postcode: float = Field(10.0, gt=0, description="how far a position may lie from the localities "
                                                                "of its address's postcode")

    insights_redis_prefix: str = Field("buurt:", description="where buurt-insights writes the demand counts")
    search_redis_prefix: str = Field("buurt:", description="where buurt-search keeps its index (listings counted "
                                                           "for the recruit-here view)")
    intake_public_key: str | None = Field(None, description="base64 X25519 public key of the consent worker's intake "
                                                            "key: the consenting person is sealed to it (required "
                                                            "to start the service; docs/operations.md)")
    kbo_dir: Path = Field(Path(".data/kbo"), description="where each process keeps its KBO lookup store")
    follow_kbo: bool = Field(True, description="follow kbo.enterprises (off: no snapshot, kbo_unverified)")
    kbo_situations: tuple[str, ...] = Field(tuple(sorted(TRADING_SITUATIONS)),
                                            description="KBO juridical situations of enterprises that may be listed")
    audit_keys: str = Field("", description="the consent log's verifier keys (vkeys, white-space separated): with "
                                            "them, partners fetch receipts and /v1/audit/checkpoints serves the log's "
                                            "checkpoints")
    proofs_dir: Path = Field(Path(".data/proofs"), description="where each process keeps its proof index")
    proofs_interval_s: float = Field(2.0, gt=0, description="how often the proof index reads what the log gained")
    k_anonymity: int = Field(5, ge=1, description="demand cells and words counted fewer times are never served")

    def intake_key(self) -> X25519PublicKey | None:
        return sealing.public_key(self.intake_public_key) if self.intake_public_key else None

    def group_id(self, role: str) -> str:
        """The consumer group of one of the service's followers ('status', 'forwarders', 'ingress')."""
        return f"{self.topic_prefix}buurt-registration-{role}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
