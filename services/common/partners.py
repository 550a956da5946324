"""The partner registry file (seeded: services/common/partners.yaml): shared by registration (credentials,
adapters) and consent (which partner may send which event types).

The running services follow the file (``PartnersFile``): ``buurt-registration partners add|rotate-key|disable``
rewrites it, and its changes take effect within a second or two, without a restart."""

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from services.common.vocabulary import PARTNER_EVENT_TYPES, EventType

logger = logging.getLogger(__name__)
RELOADS = Counter("buurt_partners_file_reloads_total", "Times the partner registry file was read again", ["outcome"])
T = TypeVar("T")

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
    disabled: bool = False  # kept for the record, refused everything

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
    """What each partner may send (nothing, once disabled)."""
    return {partner_id: frozenset() if spec.disabled else frozenset(spec.allowed_events)
            for partner_id, spec in load_specs(path).items()}


class PartnersFile(Generic[T]):
    """What ``load`` makes of the registry file as it is now: read again when the file changed, looked at most once
    per ``every_s``. A file that does not load (a bad edit) leaves the last good one in force, logged and counted,
    and ``ok`` is False (reported in the services' /readyz, without making them unready: they still work) until it
    loads again. What went wrong is named by kind and place only: the file holds secrets."""

    def __init__(self, path: Path, load: Callable[[Path], T], every_s: float = 1.0) -> None:
        self.path, self.load, self.every_s = path, load, every_s
        self._stamp = self._stamp_now()
        self._value = load(path)  # at start-up a bad file stops the service
        self._looked_at = time.monotonic()
        self.ok, self.error = True, ""

    def current(self) -> T:
        if time.monotonic() - self._looked_at >= self.every_s:
            self._looked_at = time.monotonic()
            stamp = self._stamp_now()
            if stamp != self._stamp:
                self._reload(stamp)
        return self._value

    def report(self) -> dict[str, Any]:
        """For /readyz: whether the file as it is now is in force, and what is wrong with it if not."""
        self.current()
        return {"state": "in force" if self.ok else "not reloaded: the last good file stays in force",
                "healthy": self.ok, "last_error": self.error or None}

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        self._stamp = stamp  # a file that fails is tried again once it changes again
        try:
            self._value = self.load(self.path)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the last good one stays in force
            RELOADS.labels("failed").inc()
            self.ok, self.error = False, _where(exc)
            logger.error("partner registry file not reloaded; the last good one stays in force",
                         extra={"path": str(self.path), "error": self.error})
            return
        self.ok, self.error = True, ""
        RELOADS.labels("loaded").inc()
        logger.info("partner registry file reloaded", extra={"path": str(self.path)})

    def _stamp_now(self) -> tuple[int, int, int]:
        stat = os.stat(self.path)
        return stat.st_mtime_ns, stat.st_size, stat.st_ino  # a rewrite by rename changes the inode


def _where(exc: Exception) -> str:
    """The kind of error and where it is, never the file's text (its values include signing secrets)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{type(exc).__name__} at line {mark.line + 1}"
    if isinstance(exc, ValidationError):
        return f"invalid: {', '.join('.'.join(map(str, error['loc'])) for error in exc.errors())}"
    return type(exc).__name__


class CurrentAllowedEvents(Mapping[str, frozenset[EventType]]):
    """``allowed_events`` of the file as it is now, for the consent worker's decisions."""

    def __init__(self, path: Path) -> None:
        self.file = PartnersFile(path, allowed_events)

    def __getitem__(self, partner_id: str) -> frozenset[EventType]:
        return self.file.current()[partner_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.file.current())

    def __len__(self) -> int:
        return len(self.file.current())


def ingress_partners(path: Path) -> list[str]:
    """The partners with a Kafka ingress topic of their own."""
    return sorted(partner_id for partner_id, spec in load_specs(path).items() if spec.kafka_ingress)
