"""Onboarding partners without code (``buurt-registration partners``): credentials are made here, shown once and
kept only as the file needs them: the API key as its SHA-256 (a key is a bearer secret: a hash is enough to check
it), the signing secret as it is (an HMAC is checked with the secret itself). The registry file is rewritten whole
and atomically (mode 0600: it holds the signing secrets), checked as the services will read it, and the running
services follow it (services/common/partners.py, ``PartnersFile``)."""

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.common.partners import SEEDED_PARTNERS, PartnerSpec
from services.common.vocabulary import EventType

PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")  # it names topics (ingress.<id>) and variables


@dataclass(frozen=True)
class Credentials:
    partner_id: str
    api_key: str
    signing_secret: str | None  # None: unchanged


def add(path: Path, partner_id: str, name: str, events: list[EventType], adapter: str | None = None) -> Credentials:
    if not PARTNER_ID.match(partner_id):
        raise ValueError(f"{partner_id!r}: a partner id is 2 to 41 lower-case letters, digits and '-'")
    api_key, secret = _new_secret(), _new_secret()

    def change(partners: dict[str, Any]) -> None:
        if partner_id in partners:
            raise ValueError(f"partner {partner_id} exists; rotate its key or choose another id")
        partners[partner_id] = {"name": name, "api_key_sha256": [_hash(api_key)], "signing_secret": secret,
                                "allowed_events": [str(event) for event in events],
                                **({"adapter": adapter} if adapter else {})}

    _edit(path, change)
    return Credentials(partner_id, api_key, secret)


def rotate_key(path: Path, partner_id: str, revoke_old: bool = False, new_secret: bool = False) -> Credentials:
    """A new API key beside the old ones (so that the partner can switch over), or instead of them; a new signing
    secret too when asked (the old one stops at once: there is one per partner)."""
    api_key, secret = _new_secret(), _new_secret() if new_secret else None

    def change(partners: dict[str, Any]) -> None:
        entry = _existing(partners, partner_id)
        entry["api_key_sha256"] = [*([] if revoke_old else entry.get("api_key_sha256", [])), _hash(api_key)]
        if secret is not None:
            entry["signing_secret"] = secret

    _edit(path, change)
    return Credentials(partner_id, api_key, secret)


def disable(path: Path, partner_id: str) -> None:
    """Refused everything from now on; kept in the file, for the record and for its past submissions."""
    _edit(path, lambda partners: _existing(partners, partner_id).update(disabled=True))


def partners(path: Path) -> dict[str, PartnerSpec]:
    return {pid: PartnerSpec.model_validate(spec) for pid, spec in _read(path).items()}


def _existing(partners: dict[str, Any], partner_id: str) -> dict[str, Any]:
    if partner_id not in partners:
        raise ValueError(f"no partner {partner_id}")
    entry: dict[str, Any] = partners[partner_id]
    return entry


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    if path.resolve() == SEEDED_PARTNERS.resolve():
        raise ValueError("the seeded partners file is part of the code; point REGISTRATION_PARTNERS_FILE (and "
                         "CONSENT_PARTNERS_FILE) at the installation's own copy")
    partners = _read(path)
    change(partners)
    for spec in partners.values():  # as the services will read it
        PartnerSpec.model_validate(spec)
    text = "# The partner registry (docs/partners.md); edited by `buurt-registration partners`.\n" + yaml.safe_dump(
        {"partners": partners}, sort_keys=False, allow_unicode=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)  # the services never read half a file


def _read(path: Path) -> dict[str, Any]:
    partners: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}).get("partners") or {}
    return partners


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()
