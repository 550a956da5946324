"""Partner registry: who may submit, identified by API keys stored only as SHA-256 hashes."""

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.registration.errors import Unauthenticated


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    key_hashes: tuple[str, ...]


class PartnerRegistry:
    def __init__(self, partners: dict[str, Partner]) -> None:
        self._partners = partners

    @classmethod
    def from_file(cls, path: Path) -> "PartnerRegistry":
        raw = yaml.safe_load(path.read_text())["partners"]
        return cls({pid: Partner(pid, spec["name"], tuple(spec.get("api_key_sha256", [])))
                    for pid, spec in raw.items()})

    def authenticate(self, authorization: str | None) -> Partner:
        """The partner owning the bearer key; constant-time comparison against every stored hash."""
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("missing 'Authorization: Bearer <api key>' header")
        digest = hashlib.sha256(authorization.removeprefix("Bearer ").strip().encode()).hexdigest()
        for partner in self._partners.values():
            if any(hmac.compare_digest(digest, stored) for stored in partner.key_hashes):
                return partner
        raise Unauthenticated("unknown API key")

    def __contains__(self, partner_id: str) -> bool:
        return partner_id in self._partners
