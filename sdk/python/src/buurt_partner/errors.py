"""What can go wrong, as exceptions a partner's code can tell apart."""

from typing import Any

from buurt_partner.results import FieldError


class BuurtError(Exception):
    """Anything the client could not get done."""


class ProblemError(BuurtError):
    """The platform answered with an RFC 9457 problem (or a status the client does not retry)."""

    def __init__(self, status: int, body: dict[str, Any] | None, text: str = "") -> None:
        body = body or {}
        self.status = status
        self.type = str(body.get("type", ""))
        self.title = str(body.get("title", ""))
        self.detail = str(body.get("detail") or text[:300])
        self.errors = tuple(FieldError.of(e) for e in body.get("errors", ()))
        self.body = body
        super().__init__(f"{status} {self.title}: {self.detail}".strip())


class Unavailable(ProblemError):
    """Still 429 or 503 when the retry policy's time ran out: nothing more was accepted; send again later with the
    same idempotency key."""


class ConnectionFailed(BuurtError):
    """The platform could not be reached (or did not answer) before the retry policy's time ran out."""
