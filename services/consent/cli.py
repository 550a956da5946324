"""``buurt-audit``: the auditors' and DPO's tool over the consent log (reads from offset 0, commits nothing).

    buurt-audit verify                      chains and checkpoint signatures; non-zero exit on any finding
    buurt-audit history "BE 0428.759.497"   timeline of one business (any spelling of its number) [--format jsonl]
    buurt-audit state --at 2026-11-01T12:00:00+01:00
    buurt-audit export --format csv [--decrypt]
    buurt-audit public-key                  the checkpoint public key (from CONSENT_SIGNING_KEY)

Environment: KAFKA_BOOTSTRAP_SERVERS, BUURT_TOPIC_PREFIX; CONSENT_MASTER_KEY for --decrypt; the expected public key
with --public-key or BUURT_AUDIT_PUBLIC_KEY. Exit status: 0 done, 1 the log failed verification or Kafka could not be
read, 2 bad input (a message says which and why).
"""

import asyncio
import csv
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from services.common import enterprise, events
from services.common.topic_reader import RawRecord, read_keyed, read_topic
from services.common.topics import Topics
from services.consent import crypto, ledger

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)
Bootstrap = Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")]
Prefix = Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX")]
SECRETS_HINT = "`make run` keeps this installation's keys in .data/secrets.env"
HISTORY_COLUMNS = ("recorded at", "event", "decision", "reasons", "partner", "given at", "method", "evidence",
                   "notice", "policy")
T = TypeVar("T")


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class View(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class Unreadable(Exception):
    """Kafka could not be read (not the auditor's input): exit 1 with the cause."""


def _read(bootstrap: str, topic: str) -> list[RawRecord]:
    [records] = _read_all(bootstrap, [topic])
    return records


def _read_all(bootstrap: str, topics: list[str]) -> list[list[RawRecord]]:
    """Several topics read at once (each reader waits on the broker mostly, so they overlap), with progress."""
    with Progress(TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        tasks = [progress.add_task(topic, total=None) for topic in topics]

        async def read() -> list[list[RawRecord]]:
            return list(await asyncio.gather(*(
                read_topic(bootstrap, topic, functools.partial(progress.advance, task))
                for topic, task in zip(topics, tasks, strict=True))))

        return _kafka(read, bootstrap)


def _kafka(read: Callable[[], Coroutine[Any, Any, T]], bootstrap: str) -> T:
    try:
        return asyncio.run(read())
    except (KafkaError, OSError, LookupError) as exc:
        raise Unreadable(f"cannot read the consent log from Kafka at {bootstrap}: {type(exc).__name__}") from None


def read_log(bootstrap: str, topics: Topics) -> tuple[list[RawRecord], list[RawRecord]]:
    """What ``verify`` checks: the audit records and the signed checkpoints (raw, both), read together."""
    records, checkpoints = _read_all(bootstrap, [topics.audit, topics.checkpoints])
    return records, checkpoints


def public_key_option(value: str | None) -> str | None:
    """A pinned key must be a base64 raw Ed25519 public key: anything else would make every checkpoint look forged."""
    if value is not None and not crypto.is_public_key(value):
        raise typer.BadParameter("not a base64 Ed25519 public key (32 bytes); print the right one with "
                                 "`buurt-audit public-key`")
    return value


@app.command()
def verify(bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "",
           public_key: Annotated[str | None, typer.Option(envvar="BUURT_AUDIT_PUBLIC_KEY",
                                                          callback=public_key_option)] = None) -> None:
    """Verify every partition's hash chain and every signed checkpoint."""
    topics = Topics(prefix)
    report = ledger.verify(*read_log(bootstrap, topics), public_key)
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
    timeline = ledger.history(_read(bootstrap, Topics(prefix).audit), enterprise_number)
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
                                               formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z",
                                                        "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M%z",
                                                        "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])],
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
    master = _master_key() if decrypt else None
    records = list(ledger.decoded(_read(bootstrap, topics.audit)))
    keys = _subject_keys(bootstrap, topics, master) if master is not None else {}
    rows = [_export_row(record, keys, decrypt) for record in records]
    _write(rows, output)


def _master_key() -> bytes:
    encoded = os.environ.get("CONSENT_MASTER_KEY", "")
    if not encoded:
        raise typer.BadParameter(f"--decrypt needs the master key in CONSENT_MASTER_KEY ({SECRETS_HINT})",
                                 param_hint="--decrypt")
    try:
        master = crypto.unb64(encoded)
    except ValueError:
        master = b""
    if len(master) != 32:
        raise typer.BadParameter(f"CONSENT_MASTER_KEY is not a base64 AES-256 key (32 bytes) ({SECRETS_HINT})",
                                 param_hint="--decrypt")
    return master


def _subject_keys(bootstrap: str, topics: Topics, master: bytes) -> dict[str, bytes]:
    """Data keys still in the key store (a compacted changelog): erased subjects have none."""
    latest: dict[str, str | None] = {}
    for item in _kafka(lambda: read_keyed(bootstrap, topics.subject_keys), bootstrap):
        latest[item.key] = item.value
    try:
        return {number: crypto.unwrap(master, wrapped) for number, wrapped in latest.items() if wrapped}
    except crypto.CryptoError:
        raise typer.BadParameter("CONSENT_MASTER_KEY does not open this installation's data keys: another "
                                 f"installation's key? ({SECRETS_HINT})", param_hint="--decrypt") from None


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
    encoded = os.environ.get("CONSENT_SIGNING_KEY", "")
    if not encoded:
        raise typer.BadParameter(f"the signing key is read from CONSENT_SIGNING_KEY ({SECRETS_HINT})")
    try:
        key = crypto.signing_key(encoded)
    except ValueError:
        raise typer.BadParameter("CONSENT_SIGNING_KEY is not a base64 Ed25519 private key (32 bytes)") from None
    print(crypto.public_key_b64(key))


def main() -> None:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # an unreachable broker is reported once, below
    try:
        app()
    except Unreadable as exc:
        console.print("[red]error:[/red] ", end="")
        console.print(str(exc), soft_wrap=True, markup=False)
        raise SystemExit(1) from None
