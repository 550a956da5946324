"""Domain errors of the registration service; api.py translates them into problem+json."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    pointer: str
    detail: str
    code: str | None = None  # the reason code, where the consent rules give one

    def as_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "detail": self.detail, **({"code": self.code} if self.code else {})}


class RegistrationError(Exception):
    status = 400
    title = "Registration error"
    type_ = "/problems/registration"

    def __init__(self, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [FieldError(pointer, detail)] if pointer else []


class InvalidField(RegistrationError):
    status = 422
    title = "Invalid field"
    type_ = "/problems/validation"


class InvalidFields(InvalidField):
    """Several invalid fields at once, so a partner fixes them in one round trip."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors[:3]))
        self.errors = errors


class Unauthenticated(RegistrationError):
    status = 401
    title = "Unauthenticated"
    type_ = "/problems/unauthenticated"


class Forbidden(RegistrationError):
    status = 403
    title = "Forbidden"
    type_ = "/problems/forbidden"


class NotEntitled(Forbidden):
    """A request to end the listing of a business the partner never forwarded (it reveals nothing about the
    business: the same answer whether it exists, is listed, or was forwarded by others)."""

    def __init__(self) -> None:
        super().__init__("a partner may withdraw or erase only the businesses it registered; the platform's operator "
                         "handles any other request (docs/partners.md)")
        self.errors = [FieldError("/enterprise_number", self.detail, "partner_not_entitled")]


class NotFound(RegistrationError):
    status = 404
    title = "Not found"
    type_ = "/problems/not-found"


class Conflict(RegistrationError):
    status = 409
    title = "Conflict"
    type_ = "/problems/idempotency-conflict"


class InProgress(Conflict):
    """The first request with this Idempotency-Key has not finished: the retry is answered once it has."""

    type_ = "/problems/request-in-progress"
    retry_after_s = 2


class PayloadTooLarge(RegistrationError):
    status = 413
    title = "Payload too large"
    type_ = "/problems/too-large"


class UnsupportedMedia(RegistrationError):
    status = 415
    title = "Unsupported media type"
    type_ = "/problems/media-type"


class RateLimited(RegistrationError):
    status = 429
    title = "Too many requests"
    type_ = "/problems/rate-limited"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class BrokerUnavailable(RegistrationError):
    status = 503
    title = "Event log unavailable"
    type_ = "/problems/unavailable"


class StoreUnavailable(RegistrationError):
    """Redis (replay protection, idempotency, rate limits) is down: fail closed rather than risk a replay."""

    status = 503
    title = "Request store unavailable"
    type_ = "/problems/unavailable"
