"""Consent worker settings (env prefix ``CONSENT_``; Kafka and topics from the shared unprefixed variables)."""

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", populate_by_name=True)

    web_host: str = "127.0.0.1"
    web_port: int = 8002
    app_id: str = "buurt-consent"
    data_dir: str = ".data/consent"
    processing_guarantee: str = "exactly_once"

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}{self.app_id}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
