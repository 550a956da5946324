"""Registration settings (env prefix ``REGISTRATION_``; Kafka and topics from the shared unprefixed variables)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings

SEEDED_PARTNERS = Path(__file__).with_name("partners.yaml")


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8001
    partners_file: Path = SEEDED_PARTNERS
    publish_timeout_s: float = Field(5.0, gt=0, description="bound on waiting for the broker before 503")
    retry_after_s: int = Field(5, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
