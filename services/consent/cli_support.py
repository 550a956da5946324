"""What the auditors' commands share: reading Kafka with progress, the keys they trust, the installation's secrets."""

import asyncio
import functools
import os
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from services.common.topic_reader import RawRecord, read_keyed, read_topic
from services.common.topics import Topics
from services.consent import checkpoints, crypto, log_reader
from services.consent.config import DEFAULT_LOG_NAME
from services.consent.note import NoteError, Signer, Verifier

console = Console(stderr=True)
Bootstrap = Annotated[str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS")]
Prefix = Annotated[str, typer.Option(envvar="BUURT_TOPIC_PREFIX")]
Keys = Annotated[list[str] | None, typer.Option(
    "--key", envvar="BUURT_AUDIT_KEYS",
    help="the log's verifier key (name+id+key, printed by `buurt-audit public-key`); repeat it for earlier keys")]
SECRETS_HINT = "`make run` keeps this installation's keys in .data/secrets.env"
TIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M%z",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
T = TypeVar("T")


class Unreadable(Exception):
    """Kafka could not be read (not the auditor's input): exit 1 with the cause."""


def read_one(bootstrap: str, topic: str) -> list[RawRecord]:
    """A whole topic, with progress."""
    with Progress(TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(topic, total=None)
        return kafka(lambda: read_topic(bootstrap, topic, functools.partial(progress.advance, task)), bootstrap)


def kafka(read: Callable[[], Coroutine[Any, Any, T]], bootstrap: str) -> T:
    try:
        return asyncio.run(read())
    except (KafkaError, OSError, LookupError) as exc:
        raise Unreadable(f"cannot read the consent log from Kafka at {bootstrap}: {type(exc).__name__}") from None


def master_key() -> bytes:
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


def subject_keys(bootstrap: str, topics: Topics, master: bytes) -> dict[str, bytes]:
    """Data keys still in the key store (a compacted changelog): erased subjects have none."""
    latest: dict[str, str | None] = {}
    for item in kafka(lambda: read_keyed(bootstrap, topics.subject_keys), bootstrap):
        latest[item.key] = item.value
    try:
        return {number: crypto.unwrap(master, wrapped) for number, wrapped in latest.items() if wrapped}
    except crypto.CryptoError:
        raise typer.BadParameter("CONSENT_MASTER_KEY does not open this installation's data keys: another "
                                 f"installation's key? ({SECRETS_HINT})", param_hint="--decrypt") from None


def read_log(bootstrap: str, topics: Topics, starts: dict[int, int] | None = None) -> tuple[
        list[RawRecord], list[RawRecord], dict[int, int]]:
    """log_reader.read_log, for a command (exit 1 with the cause when Kafka cannot be read)."""
    return kafka(lambda: log_reader.read_log(bootstrap, topics, starts), bootstrap)


def trusted_keys(keys: list[str] | None) -> list[Verifier]:
    """The verifier keys given; without any, this installation's own (from CONSENT_SIGNING_KEY, as on the worker)."""
    try:
        given = [v for key in keys or [] for v in checkpoints.verifiers(key)]
    except NoteError as exc:
        raise typer.BadParameter(f"{exc} (print the right one with `buurt-audit public-key`)",
                                 param_hint="--key") from None
    if given:
        return given
    own = own_signer_key()
    if own is None:
        raise typer.BadParameter("give the log's verifier key (printed by `buurt-audit public-key` where "
                                 f"CONSENT_SIGNING_KEY is set; {SECRETS_HINT})", param_hint="--key")
    return [own]


def own_signer_key() -> Verifier | None:
    encoded = os.environ.get("CONSENT_SIGNING_KEY", "")
    if not encoded:
        return None
    try:
        key = crypto.signing_key(encoded)
    except ValueError:
        raise typer.BadParameter("CONSENT_SIGNING_KEY is not a base64 Ed25519 private key (32 bytes)") from None
    return Signer(log_name(), key).verifier


def log_name() -> str:
    return os.environ.get("CONSENT_LOG_NAME", DEFAULT_LOG_NAME)
