"""The AsyncAPI document (services/common/asyncapi.py): valid against the official AsyncAPI 3.0.0 JSON schema (the
@asyncapi/specs package), every topic described, every payload schema the pydantic models' own, and served next to
the OpenAPI document."""

import json
from typing import Any

import jsonschema
import pytest

from services.common import asyncapi, topics
from services.common.events import Listing
from services.common.partners import SEEDED_PARTNERS, ingress_partners
from services.infra import npm

SPECS_VERSION = "6.11.1"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.document(ingress_partners(SEEDED_PARTNERS))


def test_the_document_follows_the_official_asyncapi_3_schema(document: dict[str, Any]) -> None:
    schema = json.loads(npm.package_file("@asyncapi/specs", SPECS_VERSION, "schemas/3.0.0-without-$id.json")
                        .read_text())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(document)]
    assert errors == []
    broken = {**document, "channels": {**document["channels"], "listings": {"adress": "listings"}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))  # the schema is strict


def test_every_topic_and_every_ingress_is_a_channel(document: dict[str, Any]) -> None:
    assert set(asyncapi.CARRIES) == {spec.base for spec in topics.ALL}
    ingress = [spec.base for partner in ingress_partners(SEEDED_PARTNERS)
               for spec in (topics.ingress(partner), topics.ingress_dlq(partner))]
    assert set(document["channels"]) == {spec.base for spec in topics.ALL} | set(ingress)
    for name, channel in document["channels"].items():
        assert channel["bindings"]["kafka"]["topic"] == name
        for reference in channel["messages"].values():
            assert reference["$ref"].removeprefix("#/components/messages/") in document["components"]["messages"]


def test_payloads_are_the_wire_models_schemas(document: dict[str, Any]) -> None:
    message = document["components"]["messages"]["Listings"]
    assert message["payload"] == {"$ref": "#/components/schemas/Listing"}
    listing = document["components"]["schemas"]["Listing"]
    assert set(listing["required"]) >= {"enterprise_number", "name", "position"}
    assert set(listing["properties"]) == set(Listing.model_fields)
    assert "tombstone" in message["description"]


def test_the_document_is_served_next_to_openapi() -> None:
    from fastapi.testclient import TestClient

    from services.registration.config import Settings
    from services.registration.main import create_app
    from tests.fakes import InMemoryPublisher, InMemoryRequestStore, KboSnapshotOf

    settings = Settings(consume_decisions=False, consume_ingress=False)
    with TestClient(create_app(settings, InMemoryPublisher(), InMemoryRequestStore(), KboSnapshotOf())) as client:
        served = client.get("/asyncapi.json")
    assert served.status_code == 200
    assert served.json()["asyncapi"] == "3.0.0"
    assert "ingress.vlam-lekkervanbijons" in served.json()["channels"]
