"""Search settings (env prefix ``SEARCH_``; Kafka, Redis and topics from the shared unprefixed variables)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, description="uvicorn worker processes (the service is stateless; ~1 per core)")
    redis_prefix: str = "buurt:"
    consumer_group: str = "buurt-search"
    consume: bool = True
    max_in_flight: int = Field(48, ge=1, description=(
        "requests served at once per worker; beyond it 503 with Retry-After (admission.py)"))
    cache_ttl_s: int = Field(300, ge=1, description="lifetime of a cached result (a listing change voids it at once)")
    lexicon_refresh_s: float = Field(10.0, gt=0, description=(
        "how often the listings' name words are read for typo tolerance (meaning.py)"))
    events: bool = Field(True, description="send anonymous search events to search.performed (demand.py)")
    events_buffer: int = Field(10_000, ge=1, description="searches held for their events; beyond it dropped, counted")
    insights_redis_prefix: str = Field("buurt:", description="where buurt-insights writes the demand counts (/ops)")
    k_anonymity: int = Field(5, ge=1, description="demand cells counted fewer times are not shown on /ops")
    ops_token_sha256: str | None = Field(None, description="SHA-256 of the ops bearer token for statistics")

    @property
    def group_id(self) -> str:
        return f"{self.topic_prefix}{self.consumer_group}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
