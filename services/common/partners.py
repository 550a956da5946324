"""The partner registry file (seeded: services/common/partners.yaml): shared by registration (credentials,
adapters) and consent (which partner may send which event types)."""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

SEEDED_PARTNERS = Path(__file__).with_name("partners.yaml")
EventType = Literal["registration.submitted", "consent.withdrawn", "erasure.requested"]


class PartnerSpec(BaseModel):
    """One partner's entry in the registry file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    api_key_sha256: list[str] = []
    signing_secret: str | None = None
    allowed_events: list[EventType]
    adapter: Literal["vlam", "csv"] | None = None


def load_specs(path: Path) -> dict[str, PartnerSpec]:
    raw = yaml.safe_load(path.read_text())["partners"]
    return {partner_id: PartnerSpec.model_validate(spec) for partner_id, spec in raw.items()}


def allowed_events(path: Path) -> dict[str, frozenset[str]]:
    return {partner_id: frozenset(spec.allowed_events) for partner_id, spec in load_specs(path).items()}
