"""Turning request bytes into input models, with partner adapters and JSON-pointer errors."""

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.common.problems import pointer
from services.registration import adapters
from services.registration.errors import FieldError, InvalidField, InvalidFields, UnsupportedMedia
from services.registration.models import RegistrationIn
from services.registration.partners import Partner

M = TypeVar("M", bound=BaseModel)


def json_body(raw: bytes, content_type: str | None) -> Any:
    if content_type is None or content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMedia("send Content-Type: application/json")
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidField("the body is not valid JSON", "") from None


def validated(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidFields([FieldError(pointer(e["loc"]), e["msg"]) for e in exc.errors()]) from None


def registration(data: Any, partner: Partner) -> RegistrationIn:
    """The canonical registration, through the partner's adapter when it sends its own format."""
    if partner.adapter == "vlam":
        data = adapters.from_vlam(data)
    return validated(RegistrationIn, data)
