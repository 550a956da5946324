"""What the partner API answers, as typed values (the platform's docs/partners.md, "Endpoints")."""

from dataclasses import dataclass, field
from typing import Any

PENDING = "received"  # a submission's status until the consent worker has decided


@dataclass(frozen=True)
class FieldError:
    pointer: str  # JSON pointer into the item (``/consent/method``)
    detail: str
    code: str | None = None  # a reason code, where the consent rules give one
    column: str | None = None  # the spreadsheet column, for uploads

    @classmethod
    def of(cls, data: dict[str, Any]) -> "FieldError":
        return cls(str(data.get("pointer", "")), str(data.get("detail", "")), data.get("code"), data.get("column"))

    def __str__(self) -> str:
        return f"{self.column or self.pointer or '(request)'}: {self.detail}"


@dataclass(frozen=True)
class Accepted:
    """A 202: the event is committed in the platform's event log."""

    id: str
    status: str
    received_at: str


@dataclass(frozen=True)
class ItemResult:
    """One item of a batch or one row of a spreadsheet, in input order."""

    index: int  # 0-based, over the whole batch or file
    status: str  # accepted | rejected | unavailable
    id: str | None = None
    errors: tuple[FieldError, ...] = ()
    row: int | None = None  # the spreadsheet's row number (the header is row 1)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


@dataclass(frozen=True)
class BulkResult:
    results: tuple[ItemResult, ...]
    charset: str | None = None  # how a CSV file was read
    charset_detected: bool = False  # not declared: read as Windows-1252 because it was not UTF-8

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def accepted(self) -> int:
        return self.count("accepted")

    @property
    def rejected(self) -> int:
        return self.count("rejected")


@dataclass(frozen=True)
class Submission:
    """The partner's view of one of its submissions (``GET /v1/registrations/{id}``)."""

    id: str
    status: str  # received, then listed, rejected, withdrawn, erased, expired or unchanged
    reasons: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()  # each reason in a sentence to pass on to the business
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def decided(self) -> bool:
        return self.status != PENDING

    @classmethod
    def of(cls, data: dict[str, Any]) -> "Submission":
        return cls(str(data["id"]), str(data["status"]), tuple(data.get("reasons") or ()),
                   tuple(str(f.get("sentence", "")) for f in data.get("findings") or ()), data)


def item_result(data: dict[str, Any], offset: int = 0) -> ItemResult:
    """An item of a bulk response; ``offset``: where the request's items start in the whole batch or file."""
    index = offset + int(data["index"])
    row = index + 2 if "row" in data else None
    errors = tuple(FieldError.of(error) for error in data.get("errors", ()))
    return ItemResult(index, str(data["status"]), data.get("id"), errors, row)
