"""Insights settings (env prefix ``INSIGHTS_``; Kafka, Redis and topics from the shared unprefixed variables)."""

import tempfile
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="INSIGHTS_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    web_port: int = Field(8003, description="faust's web server: /readyz")
    app_id: str = Field("buurt-insights", description="the faust app id: its consumer group and changelog topics")
    redis_prefix: str = "buurt:"
    commit_interval_s: float = Field(1.0, gt=0, description=(
        "how often the consumed offsets are committed: a restart re-counts at most this long's searches"))
    commit_every: int = Field(100, ge=1, description="… or every this many searches, whichever comes first")
    producer_linger_s: float = Field(0.05, ge=0, description=(
        "how long the changelog and insights.demand records wait to leave together (faust's default, 0, sends a "
        "request per record)"))
    flush_interval_s: float = Field(0.5, gt=0, description="how often the changed counts are written to Redis and "
                                                          "insights.demand")
    grace_s: int = Field(3600, ge=0, description=(
        "how long after a window's end searches of it are still counted (retention.py): later ones are not"))
    data_dir: Path = Path(tempfile.gettempdir()) / "buurt-insights"
    replication_factor: int = Field(1, ge=1, description=(
        "of the changelog topics faust creates: 3 on a cluster (buurt-infra up --brokers 3)"))

    @property
    def faust_id(self) -> str:
        return f"{self.topic_prefix}{self.app_id}"
