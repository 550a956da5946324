"""``buurt-audit``: the auditors' and DPO's tool over the consent log (reads from offset 0, commits nothing).

    buurt-audit verify                      chains and checkpoint signatures; non-zero exit on any finding
    buurt-audit history 0428.759.497        timeline of one business
    buurt-audit state --at 2026-11-01T12:00:00+01:00
    buurt-audit export --format csv [--decrypt]
    buurt-audit public-key                  the checkpoint public key (from CONSENT_SIGNING_KEY)

Environment: KAFKA_BOOTSTRAP_SERVERS, BUURT_TOPIC_PREFIX; CONSENT_MASTER_KEY for --decrypt; the expected public key
with --public-key or BUURT_AUDIT_PUBLIC_KEY.
"""

import asyncio
import csv
import json
import os
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from stdnum.be import vat

from services.common import codec, events
from services.common.codec import DecodeError
from services.common.topic_reader import RawRecord, read_keyed, read_topic
from services.common.topics import Topics
from services.consent import crypto, ledger

app = typer.Typer(help=__doc__, no_args_is_help=True)
console = Console(stderr=True)
Bootstrap = Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")]
Prefix = Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX")]


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _read(bootstrap: str, topic: str) -> list[RawRecord]:
    with Progress(TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(topic, total=None)
        return asyncio.run(read_topic(bootstrap, topic, lambda n: progress.advance(task, n)))


def _checkpoints(bootstrap: str, topics: Topics) -> list[events.AuditCheckpoint]:
    found = []
    for raw in _read(bootstrap, topics.checkpoints):
        try:
            found.append(codec.decode(events.AuditCheckpoint, raw.value))
        except DecodeError:
            continue
    return found


@app.command()
def verify(bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
           public_key: Annotated[str | None, typer.Option(envvar="BUURT_AUDIT_PUBLIC_KEY")] = None) -> None:
    """Verify every partition's hash chain and every signed checkpoint."""
    topics = Topics(prefix)
    report = ledger.verify(_read(bootstrap, topics.audit), _checkpoints(bootstrap, topics), public_key)
    if report.ok:
        console.print(f"[green]OK[/green]: {report.records} records and {report.checkpoints} checkpoints verified; "
                      f"{report.unsigned} records newer than the last checkpoint", soft_wrap=True)
        return
    problems = report.findings or []
    console.print(f"[red]FAILED[/red]: {len(problems)} problems in {report.records} records", soft_wrap=True)
    for finding in problems:
        where = f"partition {finding.partition}" + ("" if finding.offset is None else f" offset {finding.offset}")
        console.print(f"{where}: {finding.problem}", soft_wrap=True, markup=False)
    raise typer.Exit(1)


@app.command()
def history(enterprise_number: str, bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "") -> None:
    """The timeline of consent events and decisions of one business."""
    number = str(vat.compact(enterprise_number)).zfill(10)
    table = Table("recorded at", "event", "decision", "reasons", "partner", "given at", "notice")
    for record in ledger.history(_read(bootstrap, Topics(prefix).audit), number):
        table.add_row(record.recorded_at.isoformat(), record.event_type, record.decision, ", ".join(record.reasons),
                      record.partner_id, record.given_at.isoformat() if record.given_at else "",
                      record.notice_version or "")
    Console().print(table)


@app.command()
def state(at: Annotated[datetime, typer.Option(help="ISO 8601 time, with offset")],
          bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
          output: Annotated[Format, typer.Option("--format")] = Format.jsonl) -> None:
    """Which businesses were listed at that moment, and on which consent (one line each)."""
    listed = ledger.state_at(_read(bootstrap, Topics(prefix).audit), at)
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
    records = list(ledger.decoded(_read(bootstrap, topics.audit)))
    keys = _subject_keys(bootstrap, topics) if decrypt else {}
    rows = [_export_row(record, keys, decrypt) for record in records]
    _write(rows, output)


def _subject_keys(bootstrap: str, topics: Topics) -> dict[str, bytes]:
    """Data keys still in the key store (a compacted changelog): erased subjects have none."""
    master = crypto.unb64(os.environ["CONSENT_MASTER_KEY"])
    latest: dict[str, str | None] = {}
    for number, wrapped in _read_keyed(bootstrap, topics.subject_keys):
        latest[number] = wrapped
    return {number: crypto.unwrap(master, wrapped) for number, wrapped in latest.items() if wrapped}


def _read_keyed(bootstrap: str, topic: str) -> list[tuple[str, str | None]]:
    return [(raw.key, raw.value) for raw in asyncio.run(read_keyed(bootstrap, topic))]


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
    """Print the checkpoint public key (base64, raw Ed25519) for auditors, from CONSENT_SIGNING_KEY."""
    print(crypto.public_key_b64(crypto.signing_key(os.environ["CONSENT_SIGNING_KEY"])))


def main() -> None:
    app()
