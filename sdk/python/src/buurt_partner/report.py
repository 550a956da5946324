"""The per-row report of ``buurt-partner send``: on the terminal, and as a file for the partner's own records
(``.json``, or ``.csv`` separated by semicolons with a byte order mark, as Excel on a Belgian computer opens it)."""

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from buurt_partner.results import ItemResult, Submission


@dataclass(frozen=True)
class Line:
    result: ItemResult
    decision: Submission | None = None

    @property
    def fine(self) -> bool:
        if not self.result.accepted:
            return False
        return self.decision is None or self.decision.status == "listed"

    @property
    def outcome(self) -> str:
        return self.decision.status if self.decision else self.result.status

    @property
    def details(self) -> str:
        if self.result.errors:
            return "; ".join(map(str, self.result.errors))
        if self.decision is None:
            return ""
        if self.fine:  # the reason codes are enough; the sentences are for what needs attention
            return ", ".join(self.decision.reasons)
        return " ".join(self.decision.findings) or ", ".join(self.decision.reasons)

    def as_dict(self) -> dict[str, object]:
        return {"row": self.result.row, "index": self.result.index, "status": self.result.status,
                "id": self.result.id, "decision": self.decision.status if self.decision else None,
                "reasons": list(self.decision.reasons) if self.decision else [],
                "errors": [{"column": e.column, "pointer": e.pointer, "detail": e.detail, "code": e.code}
                           for e in self.result.errors]}


STYLE = {"accepted": "green", "listed": "green", "received": "yellow", "unavailable": "yellow"}


def table(lines: list[Line], problems_only: bool) -> Table:
    shown = Table("row", "result", "id", "details", title="Per row", title_justify="left", expand=False)
    for line in lines:
        if problems_only and line.fine:
            continue
        label = f"[{STYLE.get(line.outcome, 'red')}]{line.outcome}[/]"
        shown.add_row(str(line.result.row or line.result.index + 1), label, line.result.id or "", line.details)
    return shown


def write(lines: list[Line], path: Path) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps([line.as_dict() for line in lines], indent=2, ensure_ascii=False) + "\n")
        return
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["row", "status", "id", "decision", "reasons", "errors"])
    for line in lines:
        writer.writerow([line.result.row or line.result.index + 1, line.result.status, line.result.id or "",
                         line.decision.status if line.decision else "",
                         " ".join(line.decision.reasons) if line.decision else "",
                         " | ".join(map(str, line.result.errors))])
    path.write_text(out.getvalue(), encoding="utf-8-sig", newline="")
