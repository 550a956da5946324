"""Search service entry point.

    buurt-search            serve the API and the web page (uvicorn on SEARCH_HOST:SEARCH_PORT)
    buurt-search reindex    rebuild the Redis index from the listings topic, then exit
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import typer
import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.common import proxies, redis_client
from services.common.observability import configure_logging, health_router, serve_workers
from services.common.problems import install_problem_handlers, problem
from services.common.supervisor import Supervisor, TaskHandle
from services.insights.reader import DemandReader
from services.search import consumer, demand, feeds
from services.search.admission import AdmissionLimit
from services.search.api import InvalidParameter, router
from services.search.built import RETRY_AFTER_S
from services.search.cache import QueryCache
from services.search.config import Settings, get_settings
from services.search.deps import Unauthorized
from services.search.fast_path import SearchFastPath
from services.search.index import IndexLost, RedisListingIndex, index_prefix
from services.search.rebuild import reindex as rebuild_now
from services.search.service import Searcher
from services.search.stats import VisitorStats
from services.search.web import pages

logger = logging.getLogger(__name__)
LEXICON_TASK = "search-lexicon"
STATIC = Path(pages.__file__).with_name("static")


def components(settings: Settings, redis: Redis) -> tuple[RedisListingIndex, Searcher, VisitorStats]:
    index = RedisListingIndex(redis, index_prefix(settings.redis_prefix))
    stats = VisitorStats(redis, f"{settings.redis_prefix}stats:")
    cache = QueryCache(f"{settings.redis_prefix}cache:", settings.cache_ttl_s)
    events = (demand.SearchEvents(settings.kafka_bootstrap_servers, settings.topics.searches, settings.events_buffer)
              if settings.events else None)
    return index, Searcher(index, cache, stats, events), stats


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    redis = redis_client.connect(settings, socket_timeout=2, socket_connect_timeout=2)
    index, searcher, stats = components(settings, redis)
    supervisor = Supervisor()
    if settings.consume:
        async def follow(handle: TaskHandle) -> None:
            await consumer.run_consumer(settings.kafka_bootstrap_servers, settings.topics.listings,
                                        settings.group_id, index, handle)

        supervisor.add(consumer.TASK, follow)

    async def lexicon(handle: TaskHandle) -> None:  # the listings' name words, for typo tolerance
        while True:
            await searcher.refresh_lexicon()
            handle.healthy()
            await asyncio.sleep(settings.lexicon_refresh_s)

    supervisor.add(LEXICON_TASK, lexicon)
    if searcher.events is not None:
        events = searcher.events

        async def send_events(handle: TaskHandle) -> None:
            await events.run(handle)

        supervisor.add(demand.TASK, send_events, gates_readiness=False)  # analytics never stop a search

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        supervisor.start()
        try:
            yield
        finally:
            await supervisor.stop()
            await redis.aclose()

    async def redis_ready() -> bool:
        return bool(await redis.ping())

    app = FastAPI(title="buurt search", version="1", lifespan=lifespan,
                  description="Find local shops and farm products near a place.")
    app.state.settings, app.state.index, app.state.searcher, app.state.stats = settings, index, searcher, stats
    app.state.demand = DemandReader(redis, settings.insights_redis_prefix, settings.k_anonymity)
    install_problem_handlers(app)
    proxies.install(app, settings.trusted_proxies)
    _install_error_handlers(app)
    app.include_router(router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health_router({"redis": redis_ready, "index": index.is_built, **supervisor.checks()},
                                     supervisor.report))
    app.add_middleware(SearchFastPath, searcher=searcher)
    # Municipal sites embed search and the feeds in their own pages: any origin may read, nobody sends credentials.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"], allow_credentials=False,
                       expose_headers=["ETag", "Last-Modified", "Retry-After"], max_age=86400)
    app.add_middleware(AdmissionLimit, limit=settings.max_in_flight)  # added last: the outermost
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RedisError)
    async def index_unavailable(_: Request, exc: RedisError) -> JSONResponse:
        logger.warning("search index unavailable: %s", type(exc).__name__)
        return problem(503, "Search unavailable", "the search index cannot be reached; retry shortly",
                       type_="/problems/unavailable", headers={"Retry-After": "5"})

    @app.exception_handler(IndexLost)
    async def rebuilding(_: Request, __: IndexLost) -> JSONResponse:
        return problem(503, "Search index rebuilding", "the search index is being rebuilt from the listings; "
                       "retry shortly", type_="/problems/index-rebuilding", headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(InvalidParameter)
    async def invalid(_: Request, exc: InvalidParameter) -> JSONResponse:
        return problem(422, "Invalid request", exc.detail, type_="/problems/validation",
                       errors=[{"pointer": f"/{exc.name}", "detail": exc.detail}])

    @app.exception_handler(Unauthorized)
    async def unauthorized(_: Request, __: Unauthorized) -> JSONResponse:
        return problem(401, "Unauthenticated", "ops credentials required", type_="/problems/unauthenticated",
                       headers={"WWW-Authenticate": 'Basic realm="buurt ops"'})


def worker_app() -> FastAPI:
    """The app of one of several uvicorn worker processes (SEARCH_WORKERS > 1)."""
    settings = get_settings()
    configure_logging("search", settings.log_level)
    return create_app(settings)


cli = typer.Typer(help=__doc__, invoke_without_command=True, no_args_is_help=False, add_completion=False)


@cli.callback()
def serve(context: typer.Context) -> None:
    """Serve the API and the shoppers' page (SEARCH_HOST:SEARCH_PORT, SEARCH_WORKERS processes)."""
    if context.invoked_subcommand is not None:
        return
    settings = get_settings()
    configure_logging("search", settings.log_level)
    if settings.workers > 1:  # each worker process builds its own app from the same environment
        serve_workers("services.search.main:worker_app", settings.workers, settings.host, settings.port)
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                    proxy_headers=proxies.SERVER_PROXY_HEADERS)


@cli.command()
def reindex() -> None:
    """Rebuild the Redis index from the listings topic, then exit."""
    settings = get_settings()
    configure_logging("search", settings.log_level)
    asyncio.run(_reindex(settings))


def run() -> None:
    cli()


async def _reindex(settings: Settings) -> None:
    redis = redis_client.connect(settings)
    try:
        index, _, _ = components(settings, redis)
        count = await rebuild_now(settings.kafka_bootstrap_servers, settings.topics.listings, index)
        print(f"index rebuilt: {count} listings")
    finally:
        await redis.aclose()
