"""The AsyncAPI 3.0 document of every topic, generated from the topic specs (topics.py) and the wire models
(events.py): channels with their Kafka bindings, keys, payload schemas, who sends and who receives, and the partners'
ingress topics with the CloudEvents Kafka protocol binding (binary and structured mode). Served by the registration
service at ``/asyncapi.json`` beside ``/openapi.json``; validated against the official AsyncAPI schema by
tests/unit/test_asyncapi.py, which also checks that every topic is described here (``CARRIES``)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.common import events, topics
from services.common.topics import TopicSpec

VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/{model}"
ENTERPRISE_KEY = {"type": "string", "pattern": r"^[01]\d{9}$", "description": "the normalised enterprise number"}
# The topic configurations the Kafka channel binding names; the others are in the channel's description.
BINDING_CONFIGS: dict[str, Callable[[str], Any]] = {
    "cleanup.policy": lambda value: value.split(","), "retention.ms": int, "retention.bytes": int,
    "delete.retention.ms": int}


@dataclass(frozen=True)
class Carries:
    """What a topic's records are, who writes them and who reads them."""

    summary: str
    payload: type[BaseModel] | dict[str, Any]  # a wire model, or the JSON schema of an internal payload
    senders: tuple[str, ...]
    receivers: tuple[str, ...]
    key: dict[str, Any] | None = None  # None: the enterprise number
    tombstones: str = ""  # what a record without a value means, where there are any


INTERNAL = " Internal to the consent worker: its state, not an interface."
CARRIES: dict[str, Carries] = {  # by topic (its base name)
    topics.SUBMITTED.base: Carries(
        "Partner events, canonical, as the intake accepted them (the person sealed).", events.RegistrationSubmitted,
        ("registration",), ("consent",)),
    topics.DECISIONS.base: Carries(
        "The consent worker's verdict on each input event, with reason codes.", events.Decision, ("consent",),
        ("registration",)),
    topics.LISTINGS.base: Carries(
        "The public listings, compacted: the latest value of a key is the listing.", events.Listing, ("consent",),
        ("search",), tombstones="the business is not listed"),
    topics.AUDIT.base: Carries(
        "The hash-chained consent log (per-partition Merkle trees), kept forever.", events.AuditRecord, ("consent",),
        ("registration", "auditors")),
    topics.CHECKPOINTS.base: Carries(
        "Signed checkpoints (C2SP notes) of each partition's tree; compacted.", events.AuditCheckpoint, ("consent",),
        ("registration", "auditors"),
        key={"type": "string", "pattern": r"^\d+$", "description": "the audit partition"}),
    topics.DLQ.base: Carries(
        "Input records the consent worker could not decode, with the reason.", events.DeadLetter, ("consent",),
        ("operators",)),
    topics.CONSENT_STATE.base: Carries(
        "Each business's consent state." + INTERNAL,
        {"type": "object", "required": ["status", "event_time"], "properties": {
            "status": {"enum": ["listed", "unlisted"]}, "event_time": {"type": "string", "format": "date-time"},
            "given_at": {"type": ["string", "null"], "format": "date-time"}}},
        ("consent",), ("consent",), tombstones="erased"),
    topics.SUBJECT_KEYS.base: Carries(
        "Each subject's wrapped encryption key (crypto-shredding)." + INTERNAL,
        {"type": "string", "contentEncoding": "binary"}, ("consent",), ("consent",),
        tombstones="the key is destroyed: the subject is erased"),
    topics.FORWARDERS.base: Carries(
        "The partners that forwarded a registration of each business (never shrinks).",
        {"type": "array", "items": {"type": "string"}}, ("consent",), ("registration",)),
    topics.SEARCHES.base: Carries(
        "Anonymous searches: where (municipality) and what, never who.", events.SearchPerformed, ("search",),
        ("insights",), key={"type": "string", "pattern": r"^\d{5}$", "description": "the municipality's NIS code"}),
    topics.DEMAND.base: Carries(
        "Demand insights' counts, compacted per cell.", events.DemandCount, ("insights",), ("registration", "search"),
        key={"type": "string", "description": "the cell"}),
    topics.KBO_ENTERPRISES.base: Carries(
        "The KBO/BCE open data, one record per enterprise.", events.KboEnterprise, ("kbo",), ("registration",),
        tombstones="no longer in the KBO"),
    topics.KBO_SNAPSHOTS.base: Carries(
        "The KBO snapshot in force.", events.KboSnapshot, ("kbo",), ("registration",),
        key={"type": "string", "description": "the constant key of the one record"}),
}


def document(ingress_partners: list[str], server: str = "kafka-1:9092") -> dict[str, Any]:
    """The AsyncAPI document: every topic of topics.ALL, and the ingress topics of these partners."""
    models = sorted({c.payload for c in CARRIES.values() if isinstance(c.payload, type)} | {events.DeadLetter},
                    key=lambda m: m.__name__)
    _, definitions = models_json_schema([(model, "serialization") for model in models], ref_template=SCHEMAS)
    channels, operations, messages = {}, {}, {}
    for spec in topics.ALL:
        carries = CARRIES[spec.base]
        name = _message_name(spec)
        messages[name] = _message(spec, carries)
        channels[spec.base] = _channel(spec, carries.summary, {name: {"$ref": f"#/components/messages/{name}"}})
        for role, action in (("senders", "send"), ("receivers", "receive")):
            operations[f"{action}-{spec.base}"] = {
                "action": action, "channel": {"$ref": f"#/channels/{_pointer(spec.base)}"},
                "summary": f"{', '.join(getattr(carries, role))} {action}{'s' if action == 'send' else ''}"}
    for partner in ingress_partners:
        _ingress(partner, channels, operations, messages)
    return {
        "asyncapi": VERSION,
        "info": {"title": "buurt topics", "version": "1",
                 "description": "Every Kafka topic of buurt (names under an optional prefix, BUURT_TOPIC_PREFIX). "
                                "Keys are the normalised enterprise number unless a message says otherwise; values "
                                "are JSON. docs/partners.md, docs/auditors.md."},
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": server, "protocol": "kafka-secure",
                              "description": "SASL/SCRAM-SHA-512 over TLS, one principal per service or partner, "
                                             "least-privilege ACLs (docs/operations.md)",
                              "security": [{"$ref": "#/components/securitySchemes/scram"}]}},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {**definitions.get("$defs", {}), **_cloudevent_schemas()},
            "messages": messages,
            "securitySchemes": {"scram": {"type": "scramSha512", "description": "the principal's password"}},
        },
    }


def _message_name(spec: TopicSpec) -> str:
    return "".join(part.capitalize() for part in spec.base.replace("-", ".").split("."))


def _pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _message(spec: TopicSpec, carries: Carries) -> dict[str, Any]:
    payload = ({"$ref": SCHEMAS.format(model=carries.payload.__name__)} if isinstance(carries.payload, type)
               else carries.payload)
    description = carries.summary + (f" A tombstone (no value) means: {carries.tombstones}." if carries.tombstones
                                     else "")
    return {"name": _message_name(spec), "title": spec.base, "summary": carries.summary, "description": description,
            "contentType": "application/json", "payload": payload,
            "bindings": {"kafka": {"key": carries.key or ENTERPRISE_KEY, "bindingVersion": KAFKA_BINDING}}}


def _channel(spec: TopicSpec, summary: str, messages: dict[str, Any]) -> dict[str, Any]:
    configs = {name: convert(spec.configs[name]) for name, convert in BINDING_CONFIGS.items() if name in spec.configs}
    others = ", ".join(f"{k}={v}" for k, v in spec.configs.items() if k not in BINDING_CONFIGS)
    return {"address": spec.base, "summary": summary, "messages": messages,
            "description": f"{spec.partitions} partitions" + (f"; {others}" if others else ""),
            "bindings": {"kafka": {"topic": spec.base, "partitions": spec.partitions, "topicConfiguration": configs,
                                   "bindingVersion": KAFKA_BINDING}}}


def _ingress(partner: str, channels: dict[str, Any], operations: dict[str, Any], messages: dict[str, Any]) -> None:
    spec, dlq = topics.ingress(partner), topics.ingress_dlq(partner)
    binary, structured = f"CloudEventBinary-{partner}", f"CloudEventStructured-{partner}"
    messages[binary] = {
        "name": binary, "title": "CloudEvent, binary mode",
        "summary": "CloudEvents Kafka protocol binding, binary mode: the attributes in ce_ headers, data as value",
        "contentType": "application/json",
        "headers": {"$ref": SCHEMAS.format(model="CloudEventHeaders")},
        "payload": {"type": "object", "description": "the event's data: the body of the matching endpoint, or the "
                                                     "partner's native format where it has an adapter"},
        "bindings": {"kafka": {"key": ENTERPRISE_KEY, "bindingVersion": KAFKA_BINDING}}}
    messages[structured] = {
        "name": structured, "title": "CloudEvent, structured mode",
        "summary": "CloudEvents Kafka protocol binding, structured mode: the whole event as the value",
        "contentType": "application/cloudevents+json",
        "payload": {"$ref": SCHEMAS.format(model="CloudEvent")},
        "bindings": {"kafka": {"key": ENTERPRISE_KEY, "bindingVersion": KAFKA_BINDING}}}
    channels[spec.base] = _channel(spec, f"Partner {partner} writes its CloudEvents here (and nowhere else)", {
        binary: {"$ref": f"#/components/messages/{binary}"},
        structured: {"$ref": f"#/components/messages/{structured}"}})
    operations[f"send-{spec.base}"] = {"action": "send", "channel": {"$ref": f"#/channels/{_pointer(spec.base)}"},
                                       "summary": f"partner {partner} sends"}
    operations[f"receive-{spec.base}"] = {"action": "receive",
                                          "channel": {"$ref": f"#/channels/{_pointer(spec.base)}"},
                                          "summary": "registration receives (the same intake as over HTTP)"}
    dead = f"DeadLetter-{partner}"
    messages[dead] = _message(dlq, Carries("What the ingress could not take, with the reason.", events.DeadLetter,
                                           ("registration",), (partner,)))
    messages[dead]["name"] = dead
    channels[dlq.base] = _channel(dlq, f"Partner {partner} reads what its ingress refused",
                                  {dead: {"$ref": f"#/components/messages/{dead}"}})
    operations[f"receive-{dlq.base}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{_pointer(dlq.base)}"},
                                         "summary": f"partner {partner} receives"}


def _cloudevent_schemas() -> dict[str, Any]:
    attribute = {"type": "string"}
    return {
        "CloudEventHeaders": {
            "type": "object", "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
            "properties": {"ce_specversion": {"const": "1.0"}, "ce_id": attribute,
                           "ce_source": {"type": "string", "description": "/partners/<partner id>"},
                           "ce_type": {"type": "string", "description": "be.buurt.<event>.v1"},
                           "ce_time": {"type": "string", "format": "date-time"},
                           "content-type": {"const": "application/json"}}},
        "CloudEvent": {
            "type": "object", "required": ["specversion", "id", "source", "type"],
            "properties": {"specversion": {"const": "1.0"}, "id": attribute, "source": attribute, "type": attribute,
                           "time": {"type": "string", "format": "date-time"},
                           "datacontenttype": {"const": "application/json"}, "data": {"type": "object"}}},
    }
