"""Consent worker entry point: ``buurt-consent`` (or ``python -m services.consent``) starts the faust worker."""

import sys

import faust

from services.consent import agents
from services.consent.app import build_app
from services.consent.config import get_settings


def logging_config(level: str) -> dict[str, object]:
    """JSON lines on stderr, like the other services; faust's own handlers are replaced."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": "consent"},
        }},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
    }


def main() -> None:
    settings = get_settings()
    app = build_app(settings)
    agents.register(app, settings)
    sys.argv = [sys.argv[0]]  # the worker takes no command-line options; configuration is by environment
    worker = faust.Worker(app, loglevel=settings.log_level, logging_config=logging_config(settings.log_level))
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
