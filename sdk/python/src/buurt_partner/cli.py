"""``buurt-partner``: a partner's command line for a buurt directory.

    export BUURT_URL=https://registratie.example.be BUURT_PARTNER_ID=ikkooplokaal
    export BUURT_API_KEY=... BUURT_SIGNING_SECRET=...
    buurt-partner send registrations.csv --wait --report report.csv
    buurt-partner status <submission id>
    buurt-partner withdraw "BE 0428.759.497"
    buurt-partner receipt 0428759497 --output receipt.json

``send`` exits 0 when every row was accepted (with ``--wait``: and listed), 1 when some were not (the report says
why, per row), 3 when the platform could not be reached or refused the request as a whole (credentials, partner).
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from buurt_partner import report, sheets
from buurt_partner.client import Client
from buurt_partner.errors import BuurtError
from buurt_partner.results import ItemResult, Submission
from buurt_partner.retrying import Retry, RetryPolicy

HELP = """A partner's command line for a buurt directory: send spreadsheets, follow submissions, end listings.

\b
    export BUURT_URL=https://registratie.example.be BUURT_PARTNER_ID=ikkooplokaal
    export BUURT_API_KEY=... BUURT_SIGNING_SECRET=...
    buurt-partner send registrations.csv --wait --report report.csv

send exits 0 when every row was accepted (with --wait: listed), 1 when some were not (the report says why, per
row), 3 when the platform could not be reached or refused the request as a whole (credentials, partner)."""
app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)
console = Console(stderr=True)
DELIVERY_FAILED = 3


@app.callback()
def credentials(context: typer.Context,
                url: Annotated[str, typer.Option(envvar="BUURT_URL", help="the partner API")] = "http://127.0.0.1:8001",
                partner: Annotated[str | None, typer.Option(envvar="BUURT_PARTNER_ID", help="your partner id")] = None,
                api_key: Annotated[str, typer.Option(envvar="BUURT_API_KEY", show_default=False,
                                                     help="your API key (prefer the variable)")] = "",
                signing_secret: Annotated[str, typer.Option(envvar="BUURT_SIGNING_SECRET", show_default=False,
                                                            help="your signing secret (prefer the variable)")] = "",
                max_wait: Annotated[float, typer.Option(help="seconds to keep retrying while the platform asks to "
                                                             "wait (429, 503) or cannot be reached")] = 120.0,
                ) -> None:
    context.obj = _Connection(url, partner, api_key, signing_secret, max_wait)


@dataclass(frozen=True)
class _Connection:
    url: str
    partner: str | None
    api_key: str
    signing_secret: str
    max_wait_s: float


def _client(context: typer.Context) -> Client:
    """The client of a command (checked here, not in the callback, so that ``<command> --help`` needs no keys)."""
    connection: _Connection = context.obj
    if not connection.api_key or not connection.signing_secret:
        raise typer.BadParameter("set BUURT_API_KEY and BUURT_SIGNING_SECRET (or --api-key, --signing-secret)")
    client = Client(connection.url, connection.api_key, connection.signing_secret, partner_id=connection.partner,
                    on_retry=_retrying, retry=RetryPolicy(max_elapsed_s=connection.max_wait_s))
    context.call_on_close(client.close)
    return client


def _retrying(retry: Retry) -> None:
    why = f"HTTP {retry.status}" if retry.status else retry.error
    console.print(f"[yellow]attempt {retry.attempt}: {why}; trying again in {retry.wait_s:.0f} s[/yellow]")


@app.command()
def send(context: typer.Context, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="FILE")],
         wait: Annotated[bool, typer.Option(help="wait for each accepted row's decision")] = False,
         wait_timeout: Annotated[float, typer.Option(help="seconds to wait for the decisions")] = 120.0,
         report_file: Annotated[Path | None, typer.Option("--report", help="write the per-row report (.csv or "
                                                                            ".json)")] = None,
         charset: Annotated[str | None, typer.Option(help="the CSV file's charset, when you know it (e.g. "
                                                          "windows-1252)")] = None,
         rows_per_request: Annotated[int, typer.Option(min=1, max=sheets.MAX_ROWS)] = 250,
         problems_only: Annotated[bool, typer.Option(help="list only the rows that need attention")] = False,
         ) -> None:
    """Send a spreadsheet (.csv as Excel or LibreOffice save it, or .xlsx), one registration per row."""
    client = _client(context)
    if not client.partner_id:
        raise typer.BadParameter("set BUURT_PARTNER_ID (or --partner): an upload names its partner")
    try:
        results, detected = _sent(client, file, charset, rows_per_request)
        decisions = _decisions(client, results, wait_timeout) if wait else {}
    except (BuurtError, ValueError) as error:
        console.print(f"[red]{file.name}: {error}[/red]")
        raise typer.Exit(DELIVERY_FAILED) from None
    lines = [report.Line(result, decisions.get(result.id or "")) for result in results]
    Console().print(report.table(lines, problems_only))
    if detected:
        console.print("[yellow]The file did not say its charset and is not UTF-8: it was read as Windows-1252 (as "
                      "Excel writes CSV on a Belgian computer). Check that the accents came through.[/yellow]")
    fine = sum(line.fine for line in lines)
    console.print(f"{fine} of {len(lines)} rows {'listed' if wait else 'accepted'}")
    if report_file:
        report.write(lines, report_file)
    raise typer.Exit(0 if fine == len(lines) else 1)


def _sent(client: Client, file: Path, charset: str | None, rows_per_request: int) -> tuple[list[ItemResult], bool]:
    parts = sheets.parts(file, rows_per_request, charset)
    results: list[ItemResult] = []
    detected = False
    with _progress() as progress:
        rows = None if any(part.rows < 0 for part in parts) else sum(part.rows for part in parts)
        task = progress.add_task(f"Sending {file.name}", total=rows)
        for part in parts:
            result = client.upload(part.body, part.content_type, first_index=part.first_index)
            results.extend(result.results)
            detected = detected or result.charset_detected
            progress.update(task, completed=len(results))
    return results, detected


def _decisions(client: Client, results: list[ItemResult], timeout_s: float) -> dict[str, Submission]:
    """Poll the accepted rows until each is decided or the time is up (then they stay ``received``)."""
    pending = [result.id for result in results if result.id]
    decided: dict[str, Submission] = {}
    deadline = time.monotonic() + timeout_s
    with _progress() as progress:
        task = progress.add_task("Waiting for the decisions", total=len(pending))
        while pending:
            for submission_id in list(pending):
                decided[submission_id] = client.submission(submission_id)
                if decided[submission_id].decided:
                    pending.remove(submission_id)
            progress.update(task, completed=len(decided) - len(pending))
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(1)
    return decided


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


@app.command()
def status(context: typer.Context, submission_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """One submission's status, reasons and what they mean."""
    client = _client(context)
    _print(lambda: client.submission(submission_id).raw)


@app.command()
def withdraw(context: typer.Context, enterprise_number: Annotated[str, typer.Argument(metavar="NUMBER")],
             at: Annotated[str | None, typer.Option(help="when the business withdrew (ISO 8601); default now")] = None,
             ) -> None:
    """The business withdrew its consent: its listing ends."""
    client = _client(context)
    _print(lambda: vars(client.withdraw(enterprise_number, at)))


@app.command()
def erase(context: typer.Context, enterprise_number: Annotated[str, typer.Argument(metavar="NUMBER")],
          at: Annotated[str | None, typer.Option(help="when the business asked (ISO 8601); default now")] = None,
          ) -> None:
    """The business asked to be erased (GDPR art. 17)."""
    client = _client(context)
    _print(lambda: vars(client.request_erasure(enterprise_number, at)))


@app.command()
def receipt(context: typer.Context, enterprise_number: Annotated[str, typer.Argument(metavar="NUMBER")],
            output: Annotated[Path | None, typer.Option("--output", "-o", help="save it here")] = None,
            wait: Annotated[float, typer.Option(help="seconds a fresh submission may take to be covered")] = 30.0,
            ) -> None:
    """The consent receipt of your records about a business, to verify offline with buurt-audit verify-receipt."""
    client = _client(context)
    _print(lambda: client.receipt(enterprise_number, wait_s=wait), output)


def _print(call: Callable[[], object], output: Path | None = None) -> None:
    try:
        answer = call()
    except BuurtError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(DELIVERY_FAILED) from None
    text = json.dumps(answer, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n")
        console.print(f"saved to {output}")
    else:
        print(text)


def main() -> None:
    app()
