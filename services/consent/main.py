"""Consent worker entry point: ``buurt-consent`` — the transactional worker plus /healthz, /readyz and /metrics
(uvicorn on CONSENT_WEB_HOST:CONSENT_WEB_PORT)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from services.common.observability import configure_logging, health_router
from services.consent.config import Settings, get_settings
from services.consent.worker import ConsentWorker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    worker = ConsentWorker(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(worker.run()), asyncio.create_task(worker.expiry_loop())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="buurt consent worker", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(health_router({"kafka": worker.ready}))
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("consent", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.web_host, port=settings.web_port, log_config=None)
