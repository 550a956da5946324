"""schemathesis runs shared by the services' contract tests: every operation of an OpenAPI document explored,
requests optionally signed like a partner's, every response checked against the document."""

import json
import os
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.samples import signed

# A short run in `make test`; `make chaos` sets a long one.
MAX_EXAMPLES = int(os.environ.get("BUURT_SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def explore_all(base_url: str, sign: bool) -> Counter[int]:
    """Explore every operation; the status codes seen."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    seen: Counter[int] = Counter()
    for result in schema.get_all_operations():
        _explore(result.ok(), base_url, seen, sign)  # type: ignore[union-attr]
    return seen


def _explore(operation: Any, base_url: str, seen: Counter[int], sign: bool) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=base_url)
        raw = _body_bytes(kwargs)
        # Values an HTTP client cannot send at all ('Bearer ' with its trailing space) are left out.
        headers = {k: v.strip() for k, v in (kwargs.pop("headers", None) or {}).items()
                   if isinstance(v, str) and v.strip() and v.strip().isprintable()}
        if sign:
            content_type = headers.get("Content-Type", "application/json")
            headers.update(signed(kwargs["method"], urlsplit(kwargs["url"]).path, raw, content_type=content_type))
        response = httpx.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), content=raw,
                                 headers=headers, timeout=30)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    call()


def _body_bytes(kwargs: dict[str, Any]) -> bytes:
    if "json" in kwargs:
        return json.dumps(kwargs.pop("json")).encode()
    data = kwargs.pop("data", None) or kwargs.pop("content", None)
    if data is None:
        return b""
    return data if isinstance(data, bytes) else str(data).encode()
