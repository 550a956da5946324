"""Settings every service shares: where Kafka and Redis are, and the topic prefix."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.topics import Topics


class CommonSettings(BaseSettings):
    """Shared fields read from unprefixed variables (``KAFKA_BOOTSTRAP_SERVERS``, ``REDIS_URL``, ...)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"))
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=AliasChoices("REDIS_URL", "redis_url"))
    topic_prefix: str = Field("", validation_alias=AliasChoices("BUURT_TOPIC_PREFIX", "topic_prefix"))
    log_level: str = Field("INFO", validation_alias=AliasChoices("BUURT_LOG_LEVEL", "log_level"))

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)
