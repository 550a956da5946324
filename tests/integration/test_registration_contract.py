"""schemathesis against the registration service's OpenAPI document: a real process on real Kafka and Redis.

Every generated request is signed like a partner's, so the run reaches the handlers instead of stopping at 401.
A short run here (``make test``); the fault-and-abuse suite runs a long one.
"""

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.common.kafka_admin import create_topics
from services.common.topics import Topics
from tests.platform import Platform, running_platform
from tests.samples import signed

MAX_EXAMPLES = int(os.environ.get("BUURT_SCHEMATHESIS_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def registration(kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[Platform]:
    import asyncio

    topics = Topics(f"st{uuid.uuid4().hex[:8]}.")
    asyncio.run(create_topics(kafka_bootstrap, topics))
    os.environ["REGISTRATION_RATE_LIMIT_PER_MINUTE"] = "1000000"
    try:
        with running_platform(kafka_bootstrap, redis_url, topics, tmp_path_factory.mktemp("st-logs"),
                              names=("buurt-registration",)) as platform:
            yield platform
    finally:
        del os.environ["REGISTRATION_RATE_LIMIT_PER_MINUTE"]


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_registration_api_never_fails_and_always_answers_per_its_schema(registration: Platform) -> None:
    schema = schemathesis.openapi.from_url(f"{registration.registration_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 8
    seen: Counter[int] = Counter()
    for operation in operations:
        _explore(operation, registration.registration_url, seen)
    # The run reached the handlers (signed requests), not just the authentication gate.
    assert seen[422] > 0, seen
    assert seen[200] + seen[202] > 0, seen


def _explore(operation: Any, base_url: str, seen: Counter[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def signed_call(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=base_url)
        raw = _body_bytes(kwargs)
        headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if isinstance(v, str)}
        content_type = headers.get("Content-Type", "application/json")
        headers.update(signed(kwargs["method"], urlsplit(kwargs["url"]).path, raw, content_type=content_type))
        response = httpx.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), content=raw,
                                 headers=headers, timeout=30)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    signed_call()


def _body_bytes(kwargs: dict[str, Any]) -> bytes:
    if "json" in kwargs:
        return json.dumps(kwargs.pop("json")).encode()
    data = kwargs.pop("data", None) or kwargs.pop("content", None)
    if data is None:
        return b""
    return data if isinstance(data, bytes) else str(data).encode()


def test_log_of_the_contract_run_has_no_server_errors(registration: Platform) -> None:
    log = Path(registration.logs / "buurt-registration.log").read_text()
    assert "Traceback" not in log
