"""``buurt-insights``: the demand insights worker (faust-streaming), until stopped."""

import faust

from services.common.observability import configure_logging
from services.insights.app import create_app
from services.insights.config import Settings


def run() -> None:
    settings = Settings()
    configure_logging("insights", settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    worker = faust.Worker(create_app(settings), loglevel=settings.log_level.lower(), override_logging=False)
    worker.execute_from_commandline()
