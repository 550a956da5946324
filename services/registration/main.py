"""Registration service entry point: ``buurt-registration`` (uvicorn on REGISTRATION_HOST:REGISTRATION_PORT)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from limits.aio.storage import RedisStorage

from services.common import asyncapi, proxies, redis_client
from services.common.observability import configure_logging, health_router, serve_workers
from services.common.partners import PartnersFile
from services.common.problems import install_problem_handlers
from services.common.supervisor import Supervisor, TaskFactory, TaskHandle
from services.insights.reader import DemandReader
from services.registration import api, audit_proofs, bulk, forwarders, ingress, insights_api, kbo_check, status
from services.registration.config import Settings, get_settings
from services.registration.finishing import Finisher
from services.registration.kbo_check import Verifier
from services.registration.limits import BodyLimit
from services.registration.partners import Partner, PartnerRegistry
from services.registration.publisher import KafkaPublisher, Publisher
from services.registration.store import RedisRequestStore, RequestStore
from services.search.index import RedisListingIndex, index_prefix

BULK_PATHS = ("/v1/registrations:batch", "/v1/events", "/v1/partners/")


def create_app(settings: Settings | None = None, publisher: Publisher | None = None,
               store: RequestStore | None = None, kbo: Verifier | None = None) -> FastAPI:
    settings = settings or get_settings()
    publisher = publisher or KafkaPublisher(settings.kafka_bootstrap_servers, settings.publish_timeout_s)
    redis = None
    if store is None:
        redis = redis_client.connect(settings, socket_timeout=2, socket_connect_timeout=2)
        # the same connections, so the rate limits follow a Redis failover with the store
        rates = RedisStorage("async+redis://", implementation="redispy", wrap_exceptions=True,
                             key_prefix=f"{settings.redis_prefix}rate",
                             connection_pool=redis.connection_pool)  # type: ignore[arg-type]  # limits' stub: scalars only
        store = RedisRequestStore(redis, settings.redis_prefix, rates)
    request_store = store
    supervisor = Supervisor()
    for name, task in publisher.tasks().items():
        supervisor.add(name, task)
    if settings.consume_decisions:
        async def follow(handle: TaskHandle) -> None:
            await status.follow_decisions(settings.kafka_bootstrap_servers, settings.topics.decisions,
                                          settings.group_id("status"), request_store, handle)

        supervisor.add(status.TASK, follow)

        async def follow_forwarders(handle: TaskHandle) -> None:
            await forwarders.follow_forwarders(settings.kafka_bootstrap_servers, settings.topics.forwarders,
                                               settings.group_id("forwarders"), request_store, handle)

        supervisor.add(forwarders.TASK, follow_forwarders)
    intake = Finisher(kbo or kbo_check.from_settings(settings, supervisor), settings.intake_key())
    proofs = audit_proofs.install(settings, supervisor)
    partners = PartnersFile(settings.partners_file, PartnerRegistry.from_file)  # follows the file: partners.py
    for partner in partners.current().with_kafka_ingress() if settings.consume_ingress else []:
        supervisor.add(ingress.task_name(partner), _ingress_task(partner, settings, publisher, request_store,
                                                                 intake))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await publisher.start()
        supervisor.start()
        try:
            yield
        finally:
            await supervisor.stop()
            await publisher.stop()
            if redis is not None:
                await redis.aclose()

    app = FastAPI(title="buurt registration", version="1", lifespan=lifespan,
                  description="Intake for partner platforms: registrations, withdrawals, erasure requests. "
                              "Authentication and signing: see docs/partners.md.")
    app.state.settings = settings
    app.state.partners = partners
    app.state.publisher = publisher
    app.state.store = request_store
    app.state.intake = intake
    app.state.proofs = proofs
    app.state.topics = settings.topics
    reads = redis or redis_client.connect(settings, socket_timeout=2)
    app.state.demand = DemandReader(reads, settings.insights_redis_prefix, settings.k_anonymity)
    app.state.listings = RedisListingIndex(reads, index_prefix(settings.search_redis_prefix))
    install_problem_handlers(app)
    proxies.install(app, settings.trusted_proxies)
    api.install_error_handlers(app, settings.retry_after_s)
    app.include_router(api.router)
    document = asyncapi.document([partner.id for partner in partners.current().with_kafka_ingress()])

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> JSONResponse:
        """Every topic, as the AsyncAPI 3.0 document (services/common/asyncapi.py), beside /openapi.json."""
        return JSONResponse(document)
    app.include_router(bulk.router)
    app.include_router(insights_api.router)
    app.include_router(audit_proofs.router)
    checks = {"kafka": publisher.ready, "redis": request_store.ready, **supervisor.checks()}
    app.include_router(health_router(checks, lambda: {**supervisor.report(), "partners-file": partners.report()}))
    app.add_middleware(BodyLimit, default_limit=settings.max_body_bytes, bulk_limit=settings.max_bulk_bytes,
                       bulk_paths=BULK_PATHS)
    return app


def _ingress_task(partner: Partner, settings: Settings, publisher: Publisher, store: RequestStore,
                  intake: Finisher) -> TaskFactory:
    async def take(handle: TaskHandle) -> None:
        await ingress.follow_ingress(partner, settings.kafka_bootstrap_servers, settings.topics,
                                     settings.group_id("ingress"), publisher, store, settings.max_km_from_postcode,
                                     intake, handle)

    return take


def worker_app() -> FastAPI:
    """The app of one of several uvicorn worker processes (REGISTRATION_WORKERS > 1): each has its own
    transactional producer and joins the followers' consumer groups, which share the partitions among them."""
    settings = get_settings()
    configure_logging("registration", settings.log_level)
    return create_app(settings)


def run() -> None:
    settings = get_settings()
    configure_logging("registration", settings.log_level)
    if settings.intake_key() is None:
        raise SystemExit("REGISTRATION_INTAKE_PUBLIC_KEY is not set: the consenting person would be published in clear "
                         "(docs/operations.md, intake key)")
    if settings.workers > 1:
        serve_workers("services.registration.main:worker_app", settings.workers, settings.host, settings.port)
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                    proxy_headers=proxies.SERVER_PROXY_HEADERS)
