"""JSON codec for wire events; the key of every topic is the normalised enterprise number."""

from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from services.common.events import AnyPartnerEvent, PartnerEvent

M = TypeVar("M", bound=BaseModel)


class DecodeError(ValueError):
    """A record that is not a valid event of the expected type; ``reason`` is safe to log (no payload)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


def decode(model: type[M], data: bytes | None) -> M:
    if data is None:
        raise DecodeError("empty value")
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise DecodeError(_describe(exc)) from None


_PARTNER_EVENT: TypeAdapter[AnyPartnerEvent] = TypeAdapter(PartnerEvent)


def decode_partner_event(data: bytes | None) -> AnyPartnerEvent:
    """Any event a partner may put on ``registrations.submitted``, told apart by ``event_type``."""
    if data is None:
        raise DecodeError("empty value")
    try:
        return _PARTNER_EVENT.validate_json(data)
    except ValidationError as exc:
        raise DecodeError(_describe(exc)) from None


def key(enterprise_number: str) -> bytes:
    return enterprise_number.encode()


def _describe(exc: ValidationError) -> str:
    """Field paths and error types only: the input values may hold personal data."""
    parts = [f"{'/'.join(str(p) for p in err['loc']) or '<root>'}: {err['type']}" for err in exc.errors()[:5]]
    return "invalid event: " + "; ".join(parts)
