"""The partner registry file (seeded: services/common/partners.yaml): shared by registration (credentials,
adapters) and consent (which partner may send which event types)."""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from services.common.vocabulary import PARTNER_EVENT_TYPES, EventType

SEEDED_PARTNERS = Path(__file__).with_name("partners.yaml")


class PartnerSpec(BaseModel):
    """One partner's entry in the registry file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    api_key_sha256: list[str] = []
    signing_secret: str | None = None
    allowed_events: list[EventType]
    adapter: Literal["vlam", "csv"] | None = None
    kafka_ingress: bool = False  # writes CloudEvents to its own topic ingress.<partner id>

    @field_validator("allowed_events")
    @classmethod
    def _partner_event_types_only(cls, value: list[EventType]) -> list[EventType]:
        internal = [t for t in value if t not in PARTNER_EVENT_TYPES]
        if internal:
            raise ValueError(f"not a partner event type: {', '.join(internal)}")
        return value


def load_specs(path: Path) -> dict[str, PartnerSpec]:
    raw = yaml.safe_load(path.read_text())["partners"]
    return {partner_id: PartnerSpec.model_validate(spec) for partner_id, spec in raw.items()}


def allowed_events(path: Path) -> dict[str, frozenset[EventType]]:
    return {partner_id: frozenset(spec.allowed_events) for partner_id, spec in load_specs(path).items()}


def ingress_partners(path: Path) -> list[str]:
    """The partners with a Kafka ingress topic of their own."""
    return sorted(partner_id for partner_id, spec in load_specs(path).items() if spec.kafka_ingress)
