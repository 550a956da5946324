"""Registration service entry point: ``buurt-registration`` (uvicorn on REGISTRATION_HOST:REGISTRATION_PORT)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from services.common.observability import configure_logging, health_router
from services.common.problems import install_problem_handlers
from services.registration.api import install_error_handlers, router
from services.registration.config import Settings, get_settings
from services.registration.partners import PartnerRegistry
from services.registration.publisher import KafkaPublisher, Publisher


def create_app(settings: Settings | None = None, publisher: Publisher | None = None) -> FastAPI:
    settings = settings or get_settings()
    publisher = publisher or KafkaPublisher(settings.kafka_bootstrap_servers, settings.publish_timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()

    app = FastAPI(title="buurt registration", version="1", lifespan=lifespan,
                  description="Intake for partner platforms: registrations, withdrawals, erasure requests.")
    app.state.partners = PartnerRegistry.from_file(settings.partners_file)
    app.state.publisher = publisher
    app.state.topics = settings.topics
    install_problem_handlers(app)
    install_error_handlers(app, settings.retry_after_s)
    app.include_router(router)
    app.include_router(health_router({"kafka": publisher.ready}))
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("registration", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
