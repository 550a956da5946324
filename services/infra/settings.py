"""Where `make run` keeps its downloads and data, and the ports it uses: each overridable by its variable."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class InfraSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    cache_dir: Path = Field(REPO_ROOT / ".cache", validation_alias="BUURT_CACHE_DIR",
                            description="downloads that survive `make clean`: the Kafka jars")
    data_dir: Path = Field(REPO_ROOT / ".data", validation_alias="BUURT_DATA_DIR",
                           description="broker log dirs, Redis AOF, secrets, pid and log files of `make run`")
    search_port: int = Field(8000, validation_alias="SEARCH_PORT")
    registration_port: int = Field(8001, validation_alias="REGISTRATION_PORT")
    consent_port: int = Field(8002, validation_alias="CONSENT_WEB_PORT")
    insights_port: int = Field(8003, validation_alias="INSIGHTS_WEB_PORT")
    kafka_port: int = Field(9092, validation_alias="KAFKA_PORT")
    kafka_controller_port: int = Field(9093, validation_alias="KAFKA_CONTROLLER_PORT")
    redis_port: int = Field(6379, validation_alias="REDIS_PORT")
