"""``buurt-registration``: without a command, the service; ``partners``: onboarding without code (onboarding.py).

    buurt-registration partners list
    buurt-registration partners add ikkooplokaal --name "Ik koop lokaal" [--event registration.submitted ...]
    buurt-registration partners rotate-key ikkooplokaal [--revoke-old] [--new-signing-secret]
    buurt-registration partners disable ikkooplokaal

The file is ``REGISTRATION_PARTNERS_FILE``, else the one `make run` keeps in the data directory; the running services
follow it within seconds (docs/partners.md, "Onboarding a partner").
"""

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from services.common.vocabulary import PARTNER_EVENT_TYPES, EventType
from services.infra import paths
from services.registration import onboarding
from services.registration.main import run

app = typer.Typer(help=__doc__, invoke_without_command=True, no_args_is_help=False)
partners_app = typer.Typer(help="Partners: add, rotate a key, disable, list.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")
console = Console()
FILE = typer.Option(help="the partner registry file [default: REGISTRATION_PARTNERS_FILE, else .data/partners.yaml]")


@app.callback()
def serve(context: typer.Context) -> None:
    """Run the registration service (the partner API)."""
    if context.invoked_subcommand is None:
        run()


def _file(file: Path | None) -> Path:
    chosen = file or Path(os.environ.get("REGISTRATION_PARTNERS_FILE") or paths.data_dir() / "partners.yaml")
    if not chosen.exists():
        raise typer.BadParameter(f"{chosen} does not exist; set REGISTRATION_PARTNERS_FILE or --file")
    return chosen


def _shown_once(credentials: onboarding.Credentials) -> None:
    console.print(f"[bold]{credentials.partner_id}[/bold]: give these to the partner over a safe channel; they are "
                  "shown this once and kept only as the service needs them")
    print(f"api_key={credentials.api_key}")
    if credentials.signing_secret:
        print(f"signing_secret={credentials.signing_secret}")


def _refused(error: ValueError) -> typer.Exit:
    console.print(f"[red]{error}[/red]")
    return typer.Exit(2)


@partners_app.command("list")
def list_partners(file: Annotated[Path | None, FILE] = None) -> None:
    """Every partner: what it may send, how many API keys it has, whether it is disabled."""
    for partner_id, spec in onboarding.partners(_file(file)).items():
        state = "disabled" if spec.disabled else f"{len(spec.api_key_sha256)} API key(s)"
        console.print(f"{partner_id}\t{spec.name}\t{', '.join(spec.allowed_events)}\t{state}")


@partners_app.command()
def add(partner_id: str, name: Annotated[str, typer.Option(help="the partner's name, as people know it")],
        event: Annotated[list[str] | None, typer.Option(help="an event type it may send (repeat); default: "
                                                             "registration.submitted and consent.withdrawn")] = None,
        adapter: Annotated[str | None, typer.Option(help="csv or vlam, when its format is not canonical")] = None,
        file: Annotated[Path | None, FILE] = None) -> None:
    """Add a partner: a new API key and signing secret, printed once."""
    chosen = event or [EventType.REGISTRATION_SUBMITTED, EventType.CONSENT_WITHDRAWN]
    unknown = sorted(set(chosen) - {str(t) for t in PARTNER_EVENT_TYPES})
    if unknown:
        raise typer.BadParameter(f"not partner event types: {', '.join(unknown)}; choose from "
                                 f"{', '.join(sorted(PARTNER_EVENT_TYPES))}")
    try:
        credentials = onboarding.add(_file(file), partner_id, name, [EventType(e) for e in chosen], adapter)
    except ValueError as error:
        raise _refused(error) from None
    _shown_once(credentials)


@partners_app.command("rotate-key")
def rotate_key(partner_id: str,
               revoke_old: Annotated[bool, typer.Option(help="the old API keys stop at once")] = False,
               new_signing_secret: Annotated[bool, typer.Option(help="a new signing secret too (the old one stops "
                                                                     "at once)")] = False,
               file: Annotated[Path | None, FILE] = None) -> None:
    """A new API key (beside the old ones unless --revoke-old), printed once."""
    try:
        credentials = onboarding.rotate_key(_file(file), partner_id, revoke_old, new_signing_secret)
    except ValueError as error:
        raise _refused(error) from None
    _shown_once(credentials)


@partners_app.command()
def disable(partner_id: str, file: Annotated[Path | None, FILE] = None) -> None:
    """Refuse everything from the partner from now on (kept in the file, for the record)."""
    try:
        onboarding.disable(_file(file), partner_id)
    except ValueError as error:
        raise _refused(error) from None
    console.print(f"{partner_id} disabled")


def main() -> None:
    app()
