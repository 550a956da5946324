"""``buurt-insights``: the demand insights worker (faust-streaming), until stopped."""

import asyncio

import faust

from services.common.kafka_admin import create_topics
from services.common.observability import configure_logging
from services.common.topics import DEMAND_COUNTS_CHANGELOG_CONFIGS, PARTITIONS, SEARCHES, TopicSpec
from services.insights.app import TABLE, create_app
from services.insights.config import Settings


def run() -> None:
    settings = Settings()
    configure_logging("insights", settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The table's changelog made before faust starts: created by faust itself, it could be missing from the metadata
    # faust's assignor had already read, and the agent then crashed on "0 partitions" until restarted.
    changelog = TopicSpec(f"{settings.app_id}-{TABLE}-changelog", dict(DEMAND_COUNTS_CHANGELOG_CONFIGS), PARTITIONS)
    asyncio.run(create_topics(settings.kafka_bootstrap_servers, settings.topics, specs=(SEARCHES, changelog)))
    worker = faust.Worker(create_app(settings), loglevel=settings.log_level.lower(), override_logging=False)
    worker.execute_from_commandline()
