"""Domain errors of the registration service; api.py translates them into problem+json."""


class RegistrationError(Exception):
    status = 400
    title = "Registration error"
    type_ = "/problems/registration"

    def __init__(self, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


class InvalidField(RegistrationError):
    status = 422
    title = "Invalid field"
    type_ = "/problems/validation"


class Unauthenticated(RegistrationError):
    status = 401
    title = "Unauthenticated"
    type_ = "/problems/unauthenticated"


class BrokerUnavailable(RegistrationError):
    status = 503
    title = "Event log unavailable"
    type_ = "/problems/unavailable"
