"""The faust application: configuration only (agents live in agents.py, decisions in policy.py)."""

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from services.common.topics import PARTITIONS
from services.consent.config import Settings


def build_app(settings: Settings) -> faust.App:
    brokers = ";".join(f"kafka://{b.strip()}" for b in settings.kafka_bootstrap_servers.split(","))
    app = faust.App(
        settings.group_id,
        broker=brokers,
        processing_guarantee=settings.processing_guarantee,
        store="memory://",  # tables are rebuilt from their changelog topics at start-up
        datadir=settings.data_dir,
        web_host=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=PARTITIONS,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
    )
    _add_health_pages(app)
    return app


def _add_health_pages(app: faust.App) -> None:
    @app.page("/healthz")
    async def healthz(web: View, request: Request) -> Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: View, request: Request) -> Response:
        ready = not app.rebalancing and app.producer is not None and app.consumer is not None
        return web.json({"ready": ready, "checks": {"kafka": ready}}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(web: View, request: Request) -> Response:
        # aiohttp refuses a charset inside content_type; the Prometheus text format is UTF-8 by definition.
        return web.bytes(generate_latest(), content_type="text/plain; version=0.0.4")
