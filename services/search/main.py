"""Search service entry point: ``buurt-search`` (uvicorn on SEARCH_HOST:SEARCH_PORT)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis

from services.common.observability import configure_logging, health_router
from services.common.problems import install_problem_handlers
from services.search.api import router
from services.search.config import Settings, get_settings
from services.search.consumer import ConsumerState, run_consumer
from services.search.index import ListingIndex


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    index = ListingIndex(redis, settings.redis_prefix)
    consumer_state = ConsumerState()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        consumer: asyncio.Task[None] | None = None
        if settings.consume:
            consumer = asyncio.create_task(run_consumer(
                settings.kafka_bootstrap_servers, settings.topics.listings, settings.group_id, index, consumer_state))
        try:
            yield
        finally:
            if consumer is not None:
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
            await redis.aclose()

    async def redis_ready() -> bool:
        return bool(await redis.ping())

    app = FastAPI(title="buurt search", version="1", lifespan=lifespan,
                  description="Find local shops and farm products near a place.")
    app.state.index = index
    install_problem_handlers(app)
    app.include_router(router)
    checks = {"redis": redis_ready, **({"kafka": consumer_state.ready} if settings.consume else {})}
    app.include_router(health_router(checks))
    return app


def run() -> None:
    settings = get_settings()
    configure_logging("search", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
