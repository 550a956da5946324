"""JSON logs, Prometheus metrics and health endpoints shared by the FastAPI services.

Log records carry ids, counts and reason codes only: never names, e-mail addresses or phone numbers.
"""

import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import uvicorn
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from pythonjsonlogger.json import JsonFormatter

from services.common import proxies

ReadinessCheck = Callable[[], Awaitable[bool]]
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        static_fields={"service": service},
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs name client addresses: personal data under GDPR, so they stay off.
    logging.getLogger("uvicorn.access").disabled = True


def _registry() -> CollectorRegistry:
    """This process's metrics, or under several workers (``serve_workers``) those of all of them, whichever answers."""
    if MULTIPROCESS_DIR not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus-client
    return registry


def serve_workers(factory: str, workers: int, host: str, port: int) -> None:
    """uvicorn with ``workers`` processes, each building its app with ``factory`` (module:function); their metrics
    are kept in files of a directory of their own (Prometheus's multiprocess mode), so that /metrics sums them."""
    with tempfile.TemporaryDirectory(prefix="buurt-metrics-") as directory:
        os.environ[MULTIPROCESS_DIR] = directory  # read by prometheus_client as each worker process imports it
        uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, log_config=None,
                    proxy_headers=proxies.SERVER_PROXY_HEADERS)


def health_router(checks: Mapping[str, ReadinessCheck],
                  tasks: Callable[[], dict[str, dict[str, Any]]] | None = None) -> APIRouter:
    """/healthz (the process is alive), /readyz (every dependency answers and every background task runs healthy;
    ``tasks`` adds the supervisor's report of each task), /metrics (Prometheus text)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {name: await _safe(check) for name, check in checks.items()}
        ready = all(results.values())
        body: dict[str, Any] = {"ready": ready, "checks": results}
        if tasks is not None:
            body["tasks"] = tasks()
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    return router


async def _safe(check: ReadinessCheck) -> bool:
    try:
        return await check()
    except Exception:  # noqa: BLE001 - a failing check means "not ready", whatever the cause
        return False
