"""Where the local infrastructure keeps its downloads, data and logs (all git-ignored; see settings.py)."""

from pathlib import Path

from services.infra.settings import REPO_ROOT, InfraSettings

__all__ = ["REPO_ROOT", "cache_dir", "data_dir"]


def cache_dir() -> Path:
    """Downloads that survive `make clean` of data: the Kafka jars."""
    return InfraSettings().cache_dir


def data_dir() -> Path:
    """Broker log dirs, Redis AOF, pid and log files of `make run`; persists across restarts."""
    return InfraSettings().data_dir
