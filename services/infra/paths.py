"""Where the local infrastructure keeps its downloads, data and logs (all git-ignored)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Downloads that survive `make clean` of data: the Kafka jars."""
    return Path(os.environ.get("BUURT_CACHE_DIR", REPO_ROOT / ".cache"))


def data_dir() -> Path:
    """Broker log dirs, Redis AOF, pid and log files of `make run`; persists across restarts."""
    return Path(os.environ.get("BUURT_DATA_DIR", REPO_ROOT / ".data"))
