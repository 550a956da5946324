"""Partner registry: credentials (API key hashes, signing secret), allowed event types and adapters, from config."""

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from services.registration.errors import Forbidden, Unauthenticated

EventType = Literal["registration.submitted", "consent.withdrawn", "erasure.requested"]


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    key_hashes: tuple[str, ...]
    signing_secret: bytes
    allowed_events: frozenset[str]
    adapter: str | None = None

    def require(self, event_type: str) -> None:
        if event_type not in self.allowed_events:
            raise Forbidden(f"partner {self.id} may not send {event_type} events")


def _env_name(partner_id: str, suffix: str) -> str:
    return f"PARTNER_{partner_id.upper().replace('-', '_')}_{suffix}"


class PartnerSpec(BaseModel):
    """One partner's entry in the registry file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    api_key_sha256: list[str] = []
    signing_secret: str | None = None
    allowed_events: list[EventType]
    adapter: Literal["vlam", "csv"] | None = None


def _load_partner(partner_id: str, spec: PartnerSpec, environ: dict[str, str]) -> Partner:
    """File values, with credentials overridden by environment variables when set."""
    hashes_env = environ.get(_env_name(partner_id, "API_KEY_SHA256"))
    hashes = hashes_env.split(",") if hashes_env else spec.api_key_sha256
    secret = environ.get(_env_name(partner_id, "SIGNING_SECRET")) or spec.signing_secret
    if not secret:
        raise ValueError(f"partner {partner_id} has no signing secret ({_env_name(partner_id, 'SIGNING_SECRET')})")
    return Partner(id=partner_id, name=spec.name, key_hashes=tuple(h.strip().lower() for h in hashes),
                   signing_secret=secret.encode(), allowed_events=frozenset(spec.allowed_events),
                   adapter=spec.adapter)


class PartnerRegistry:
    def __init__(self, partners: dict[str, Partner]) -> None:
        self._partners = partners

    @classmethod
    def from_file(cls, path: Path, environ: dict[str, str] | None = None) -> "PartnerRegistry":
        raw = yaml.safe_load(path.read_text())["partners"]
        env = dict(os.environ) if environ is None else environ
        return cls({pid: _load_partner(pid, PartnerSpec.model_validate(spec), env) for pid, spec in raw.items()})

    def by_api_key(self, api_key: str) -> Partner:
        """The partner owning the key; constant-time comparison against every stored hash."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found = None
        for partner in self._partners.values():
            for stored in partner.key_hashes:
                if hmac.compare_digest(digest, stored):
                    found = partner
        if found is None:
            raise Unauthenticated("unknown API key")
        return found

    def get(self, partner_id: str) -> Partner | None:
        return self._partners.get(partner_id)
