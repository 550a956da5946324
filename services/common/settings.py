"""Settings every service shares: where Kafka and Redis are, and the topic prefix."""

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import proxies
from services.common.topics import Topics

SENTINEL_MASTER = "buurt"  # the name Sentinel monitors the platform's Redis primary under


class CommonSettings(BaseSettings):
    """Shared fields read from unprefixed variables (``KAFKA_BOOTSTRAP_SERVERS``, ``REDIS_URL``, ...)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"))
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=AliasChoices("REDIS_URL", "redis_url"))
    # a replicated Redis behind Sentinel: services/common/redis_client.py
    redis_sentinels: str = Field("", validation_alias=AliasChoices("REDIS_SENTINELS", "redis_sentinels"))
    redis_sentinel_master: str = Field(
        SENTINEL_MASTER, validation_alias=AliasChoices("REDIS_SENTINEL_MASTER", "redis_sentinel_master"))
    redis_sentinel_password: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("REDIS_SENTINEL_PASSWORD", "redis_sentinel_password"))
    topic_prefix: str = Field("", validation_alias=AliasChoices("BUURT_TOPIC_PREFIX", "topic_prefix"))
    # the reverse proxies whose X-Forwarded-For is believed: services/common/proxies.py
    trusted_proxies: str = Field("", validation_alias=AliasChoices("BUURT_TRUSTED_PROXIES", "trusted_proxies"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("BUURT_LOG_LEVEL", "log_level"))

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, listed: str) -> str:
        proxies.parse(listed)
        return listed

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)
