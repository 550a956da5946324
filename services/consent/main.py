"""Consent worker entry point: ``buurt-consent`` — the transactional worker and the expiry check under one supervisor,
plus /healthz, /readyz and /metrics (uvicorn on CONSENT_WEB_HOST:CONSENT_WEB_PORT)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from services.common import proxies
from services.common.observability import configure_logging, health_router
from services.common.supervisor import Supervisor
from services.consent.config import Settings, get_settings
from services.consent.worker import EXPIRY_TASK, WORKER_TASK, ConsentWorker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    worker = ConsentWorker(settings)
    supervisor = Supervisor()
    supervisor.add(WORKER_TASK, worker.run)
    supervisor.add(EXPIRY_TASK, worker.expiry_loop)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        supervisor.start()
        try:
            yield
        finally:
            await supervisor.stop()

    app = FastAPI(title="buurt consent worker", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(health_router(supervisor.checks(), supervisor.report))
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("consent", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.web_host, port=settings.web_port, log_config=None,
                proxy_headers=proxies.SERVER_PROXY_HEADERS)
