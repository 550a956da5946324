"""``buurt-audit``: the auditors' and DPO's tool over the consent log (reads from offset 0, commits nothing).

    buurt-audit verify                      chains, Merkle trees and signed checkpoints; non-zero exit on any finding
    buurt-audit history "BE 0428.759.497"   timeline of one business (any spelling of its number) [--format jsonl]
    buurt-audit state --at 2026-11-01T12:00:00+01:00
    buurt-audit export --format csv [--decrypt]
    buurt-audit receipt 0428759497 > receipt.json       a consent receipt with its inclusion proofs
    buurt-audit verify-receipt receipt.json --key VKEY  offline: no Kafka needed
    buurt-audit checkpoint 3 > kept.note                a partition's latest signed checkpoint, to keep
    buurt-audit consistency kept.note                   the log only grew since that checkpoint
    buurt-audit public-key                  the log's verifier key (from CONSENT_SIGNING_KEY)

Environment: KAFKA_BOOTSTRAP_SERVERS, BUURT_TOPIC_PREFIX; CONSENT_MASTER_KEY for --decrypt; the log's verifier keys
with --key or BUURT_AUDIT_KEYS (else the installation's own, from CONSENT_SIGNING_KEY); the proof index with --index or
BUURT_AUDIT_INDEX. Exit status: 0 done, 1 the log or a receipt failed verification or Kafka could not be read, 2 bad
input (a message says which and why)."""

import csv
import json
import logging
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from services.common import enterprise, events
from services.common.topics import Topics
from services.consent import cli_proofs, crypto, ledger
from services.consent.cli_support import (
    SECRETS_HINT,
    TIME_FORMATS,
    Bootstrap,
    Keys,
    Prefix,
    Unreadable,
    console,
    master_key,
    own_signer_key,
    read_log,
    read_one,
    subject_keys,
    trusted_keys,
)

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
HISTORY_COLUMNS = ("recorded at", "event", "decision", "reasons", "partner", "given at", "method", "evidence",
                   "notice", "policy")


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class View(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"




@app.command()
def verify(bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "", key: Keys = None) -> None:
    """Verify every partition's records against its hash chain and its signed Merkle-tree checkpoints."""
    trusted = trusted_keys(key)
    records, signed, horizon = read_log(bootstrap, Topics(prefix))
    report = ledger.verify(records, signed, trusted, horizon=horizon)
    if report.ok:
        covered = (f"{report.unsigned} records of a log from before tree checkpoints are newer than its last "
                   "checkpoint" if report.unsigned else "every record is covered by a signed checkpoint")
        console.print(f"[green]OK[/green]: {report.records} records and {report.checkpoints} checkpoints verified; "
                      f"{covered}", soft_wrap=True)
        return
    console.print(f"[red]FAILED[/red]: {len(report.findings)} problems in {report.records} records", soft_wrap=True)
    for finding in report.findings:
        topic = "checkpoints' topic, " if finding.topic == "checkpoints" else ""
        where = f"{topic}partition {finding.partition}" + (
            "" if finding.offset is None else f" offset {finding.offset}")
        console.print(f"{where}: {finding.problem}", soft_wrap=True, markup=False)
    raise typer.Exit(1)


def enterprise_number_argument(value: str) -> str:
    try:
        return enterprise.enterprise_number(value)
    except enterprise.InvalidNumber as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def history(enterprise_number: Annotated[str, typer.Argument(callback=enterprise_number_argument)],
            bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
            output: Annotated[View, typer.Option("--format")] = View.table) -> None:
    """The timeline of consent events and decisions of one business, with the evidence of each consent."""
    timeline = ledger.history(read_one(bootstrap, Topics(prefix).audit), enterprise_number)
    if output is View.table:
        table = Table(*HISTORY_COLUMNS)
        for record in timeline:
            table.add_row(*history_row(record))
        out = Console()
        if not out.is_terminal:  # piped or redirected: every column whole, however wide
            out = Console(width=250)
        out.print(table)
    else:
        _write([dict(zip(HISTORY_COLUMNS, history_row(record), strict=True)) for record in timeline], Format(output))
    console.print(f"{len(timeline)} records for {enterprise_number}")


def history_row(record: events.AuditRecord) -> tuple[str, ...]:
    return (record.recorded_at.isoformat(), record.event_type.value, record.decision.value,
            ", ".join(r.value for r in record.reasons), record.partner_id,
            record.given_at.isoformat() if record.given_at else "", record.collection_method or "",
            record.evidence_ref or "", record.notice_version or "", record.policy_version)


def aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise typer.BadParameter("give the time with its offset (e.g. 2026-11-01T12:00:00+01:00, or Z for UTC): "
                                 "a time without one is ambiguous")
    return value


@app.command()
def state(at: Annotated[datetime, typer.Option(help="ISO 8601 time, with offset", callback=aware,
                                               formats=TIME_FORMATS)],
          bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
          output: Annotated[Format, typer.Option("--format")] = Format.jsonl) -> None:
    """Which businesses were listed at that moment, and on which consent (one line each)."""
    listed = ledger.state_at(read_one(bootstrap, Topics(prefix).audit), at)
    rows = [{"enterprise_number": number, "listed_since": r.recorded_at.isoformat(), "partner": r.partner_id,
             "given_at": r.given_at.isoformat() if r.given_at else None, "notice_version": r.notice_version,
             "collection_method": r.collection_method, "source_event_id": str(r.source_event_id)}
            for number, r in sorted(listed.items())]
    _write(rows, output)
    console.print(f"{len(rows)} businesses listed at {at.isoformat()}")


@app.command()
def export(output: Annotated[Format, typer.Option("--format")] = Format.jsonl,
           decrypt: Annotated[bool, typer.Option(help="open the personal data with CONSENT_MASTER_KEY")] = False,
           bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "") -> None:
    """Every audit record, for the DPO; with --decrypt, the consenting person in clear ('[erased]' when shredded)."""
    topics = Topics(prefix)
    master = master_key() if decrypt else None
    records = list(ledger.decoded(read_one(bootstrap, topics.audit)))
    keys = subject_keys(bootstrap, topics, master) if master is not None else {}
    rows = [_export_row(record, keys, decrypt) for record in records]
    _write(rows, output)


def _export_row(record: events.AuditRecord, keys: dict[str, bytes], decrypt: bool) -> dict[str, Any]:
    row: dict[str, Any] = record.model_dump(mode="json")
    row["reasons"] = ";".join(record.reasons)
    row["purposes"] = ";".join(record.purposes)
    if decrypt and record.subject_pii:
        key = keys.get(record.enterprise_number)
        row["subject_pii"] = (crypto.open_sealed(key, record.enterprise_number, record.subject_pii).decode()
                              if key else "[erased]")
    return row


def _write(rows: list[dict[str, Any]], output: Format) -> None:
    if output is Format.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["enterprise_number"])
    writer.writeheader()
    writer.writerows(rows)


@app.command("public-key")
def public_key() -> None:
    """Print the log's verifier key (C2SP vkey: name+id+key), from CONSENT_SIGNING_KEY and CONSENT_LOG_NAME."""
    own = own_signer_key()
    if own is None:
        raise typer.BadParameter(f"the signing key is read from CONSENT_SIGNING_KEY ({SECRETS_HINT})")
    print(own.vkey())


app.command()(cli_proofs.receipt)
app.command("verify-receipt")(cli_proofs.verify_receipt)
app.command()(cli_proofs.consistency)
app.command()(cli_proofs.checkpoint)


def main() -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # an unreachable broker is reported once, below
    try:
        app()
    except Unreadable as exc:
        console.print("[red]error:[/red] ", end="")
        console.print(str(exc), soft_wrap=True, markup=False)
        raise SystemExit(1) from None
