"""Partner registry: credentials (API key hashes, signing secret), allowed event types and adapters, from config."""

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from services.common.partners import PartnerSpec, load_specs
from services.common.vocabulary import EventType
from services.registration.errors import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    key_hashes: tuple[str, ...]
    signing_secret: bytes
    allowed_events: frozenset[EventType]
    adapter: str | None = None
    kafka_ingress: bool = False
    disabled: bool = False

    def require(self, event_type: EventType) -> None:
        if event_type not in self.allowed_events:
            raise Forbidden(f"partner {self.id} may not send {event_type} events")


def _env_name(partner_id: str, suffix: str) -> str:
    return f"PARTNER_{partner_id.upper().replace('-', '_')}_{suffix}"


def _load_partner(partner_id: str, spec: PartnerSpec, environ: dict[str, str]) -> Partner:
    """File values, with credentials overridden by environment variables when set."""
    hashes_env = environ.get(_env_name(partner_id, "API_KEY_SHA256"))
    hashes = hashes_env.split(",") if hashes_env else spec.api_key_sha256
    secret = environ.get(_env_name(partner_id, "SIGNING_SECRET")) or spec.signing_secret
    if not secret:
        raise ValueError(f"partner {partner_id} has no signing secret ({_env_name(partner_id, 'SIGNING_SECRET')})")
    return Partner(id=partner_id, name=spec.name, key_hashes=tuple(h.strip().lower() for h in hashes),
                   signing_secret=secret.encode(), allowed_events=frozenset(spec.allowed_events),
                   adapter=spec.adapter, kafka_ingress=spec.kafka_ingress, disabled=spec.disabled)


class PartnerRegistry:
    def __init__(self, partners: dict[str, Partner]) -> None:
        self._partners = partners

    @classmethod
    def from_file(cls, path: Path, environ: dict[str, str] | None = None) -> "PartnerRegistry":
        env = dict(os.environ) if environ is None else environ
        return cls({pid: _load_partner(pid, spec, env) for pid, spec in load_specs(path).items()})

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
        if found.disabled:
            raise Forbidden(f"partner {found.id} is disabled; ask the operator")
        return found

    def get(self, partner_id: str) -> Partner | None:
        return self._partners.get(partner_id)

    def with_kafka_ingress(self) -> list[Partner]:
        return [partner for partner in self._partners.values() if partner.kafka_ingress and not partner.disabled]
