"""``buurt-audit receipt | verify-receipt | checkpoint | consistency``: proofs over the consent log.

Receipts and consistency proofs come from the proof index (services/consent/proofs.py), which each command first
brings up to date with what the log gained since (only those records are read and verified)."""

import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from services.common import enterprise, events
from services.common.topic_reader import OffsetsAhead, read_at
from services.common.topics import Topics
from services.consent import crypto, receipts
from services.consent.checkpoints import Signed, open_checkpoint
from services.consent.cli_support import (
    TIME_FORMATS,
    Bootstrap,
    Keys,
    Prefix,
    console,
    kafka,
    master_key,
    read_log,
    subject_keys,
    trusted_keys,
)
from services.consent.merkle import verify_consistency
from services.consent.note import Checkpoint, NoteError, Verifier
from services.consent.proofs import ProofIndex

IndexPath = Annotated[Path | None, typer.Option(
    "--index", envvar="BUURT_AUDIT_INDEX", help="the proof index (a cache; default: under ~/.cache/buurt-audit)")]


def receipt(enterprise_number: Annotated[str, typer.Argument(help="the business's enterprise number, any spelling")],
            at: Annotated[datetime | None, typer.Option(help="the state at this time (ISO 8601 with offset)",
                                                        formats=TIME_FORMATS)] = None,
            decrypt: Annotated[bool, typer.Option(help="the person in clear (CONSENT_MASTER_KEY)")] = False,
            bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "", key: Keys = None,
            index: IndexPath = None) -> None:
    """A consent receipt of one business: its audit records, each with its inclusion proof to a signed checkpoint."""
    number = _number(enterprise_number)
    if at is not None and at.tzinfo is None:
        raise typer.BadParameter("give the time with its offset (e.g. 2026-11-01T12:00:00+01:00)", param_hint="--at")
    topics = Topics(prefix)
    master = master_key() if decrypt else None
    with _UpdatedIndex(bootstrap, topics, trusted_keys(key), index) as proofs:
        issued = receipt_of(proofs, bootstrap, topics, number, at, master)
    sys.stdout.write(issued.model_dump_json(indent=2) + "\n")


def receipt_of(proofs: ProofIndex, bootstrap: str, topics: Topics, number: str, at: datetime | None,
               master: bytes | None) -> receipts.Receipt:
    """The receipt from an up-to-date index: the business's records read from the log at their offsets, each with
    its inclusion proof to the partition's latest signed checkpoint."""
    planned = proofs.plan(number)
    if planned is None:
        console.print(f"no audit record of {number} is covered by a signed checkpoint", soft_wrap=True)
        raise typer.Exit(1)
    wanted = [(place.partition, place.offset) for place, _ in planned.places]
    stored = kafka(lambda: read_at(bootstrap, topics.audit, wanted), bootstrap)
    try:
        proven = receipts.assemble(planned, stored)
    except receipts.RecordGone as exc:
        console.print(f"{exc} (run `buurt-audit verify`)", soft_wrap=True)
        raise typer.Exit(1) from None
    now = datetime.now(UTC)
    person = _person([r for _, r in proven], bootstrap, topics, master)
    return receipts.issue(proven, planned.log.note, at or now, now, person)


def _person(records: list[events.AuditRecord], bootstrap: str, topics: Topics, master: bytes | None) -> Any:
    sealed = [r for r in records if r.subject_pii]
    if not sealed:
        return None
    if master is None:
        return receipts.SEALED
    data_key = subject_keys(bootstrap, topics, master).get(sealed[-1].enterprise_number)
    if data_key is None:
        return receipts.ERASED
    return json.loads(crypto.open_sealed(data_key, sealed[-1].enterprise_number, sealed[-1].subject_pii or ""))


def verify_receipt(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the receipt (JSON)")],
                   key: Keys = None,
                   witness: Annotated[list[str] | None, typer.Option(
                       help="a witness's cosigner key (vkey); repeat for several")] = None) -> None:
    """Verify a receipt offline: its records' hashes, their inclusion in the signed tree, the checkpoint's signature,
    and that what it states is what its records say. Needs no Kafka."""
    witnesses = _witnesses(witness)
    try:
        checked, signed, seen = receipts.check(path.read_bytes(), trusted_keys(key), witnesses)
    except receipts.ReceiptInvalid as exc:
        console.print("[red]INVALID[/red]: ", end="")
        console.print(str(exc), soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    said = checked.statements
    consent = said["consent"] or {}
    person = checked.person if isinstance(checked.person, str) else "in clear (decrypted)"
    records = f"{len(checked.records)} audit record{'' if len(checked.records) == 1 else 's'}"
    console.print(f"[green]OK[/green]: receipt of {said['enterprise_number']}: {records} in "
                  f"the signed tree of partition {signed.partition} ({signed.size} records, signed by "
                  f"{', '.join(v.name + '+' + v.key_id.hex() for v in signed.signers)})", soft_wrap=True)
    console.print(f"at {checked.state_at.isoformat()}: {'listed' if said['listed'] else 'not listed'}; consent "
                  f"{consent.get('decision', 'none')} for {', '.join(consent.get('purposes', [])) or '-'}, given "
                  f"{consent.get('given_at') or '-'} ({consent.get('collection_method') or '-'}, notice "
                  f"{consent.get('notice_version') or '-'}) via {consent.get('partner') or '-'}; person: {person}",
                  soft_wrap=True, markup=False)
    for name, timestamp in seen.items():
        console.print(f"cosigned by {name} at {datetime.fromtimestamp(timestamp, UTC).isoformat()}", soft_wrap=True)
    if witness and not seen:
        console.print("[red]INVALID[/red]: none of the given witnesses cosigned this checkpoint", soft_wrap=True)
        raise typer.Exit(1)


def checkpoint(partition: Annotated[int, typer.Argument(help="the partition of consent.audit")],
               bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "", key: Keys = None,
               index: IndexPath = None) -> None:
    """Print the partition's latest signed checkpoint (a C2SP note), verified against the log: keep it, and prove
    later with `buurt-audit consistency` that the log only grew since."""
    with _UpdatedIndex(bootstrap, Topics(prefix), trusted_keys(key), index) as proofs:
        log = proofs.logs().get(partition)
    if log is None:
        console.print(f"partition {partition} has no signed checkpoint", soft_wrap=True)
        raise typer.Exit(1)
    sys.stdout.write(log.note)


def consistency(old: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a checkpoint you kept")],
                new: Annotated[Path | None, typer.Argument(dir_okay=False, help="a later one (default: the latest)")]
                = None,
                bootstrap: Bootstrap = "127.0.0.1:9092", prefix: Prefix = "", key: Keys = None,
                index: IndexPath = None) -> None:
    """Prove that the log only grew since the checkpoint you kept: the old tree is a prefix of the new one."""
    trusted = trusted_keys(key)
    kept = _note(old, trusted)
    with _UpdatedIndex(bootstrap, Topics(prefix), trusted, index) as proofs:
        latest = proofs.logs().get(kept.partition)
        later = _note(new, trusted) if new is not None else (
            open_checkpoint(latest.note, kept.partition, trusted) if latest is not None else None)
        if later is None or latest is None or later.partition != kept.partition or later.size > latest.size:
            console.print(f"[red]NOT CONSISTENT[/red]: the log of partition {kept.partition} has no signed tree of "
                          f"{later.size if later else kept.size} records", soft_wrap=True)
            raise typer.Exit(1)
        if kept.size > later.size:
            kept, later = later, kept
        tree = proofs.tree(kept.partition)
        proof = tree.consistency(kept.size, later.size) if kept.size else []
    if (kept.size and not verify_consistency(kept.size, later.size, kept.root, later.root, proof)) or (
            kept.size == later.size and kept.root != later.root):
        console.print(f"[red]NOT CONSISTENT[/red]: the tree of {kept.size} records of partition {kept.partition} is "
                      f"not a prefix of the tree of {later.size}: the log was rewritten", soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"[green]OK[/green]: partition {kept.partition} grew from {kept.size} to {later.size} records; "
                  f"the first {kept.size} are unchanged (consistency proof of {len(proof)} hashes verified)",
                  soft_wrap=True)


def _note(path: Path, trusted: list[Verifier]) -> Signed:
    text = path.read_text(encoding="utf-8")
    try:
        origin = Checkpoint.parse(text.split("\n\n", 1)[0] + "\n").origin
        partition = int(origin.rsplit("/", 1)[1])
        return open_checkpoint(text, partition, trusted)
    except (NoteError, ValueError, IndexError) as exc:
        raise typer.BadParameter(f"{path}: not a checkpoint of this log signed by a trusted key ({exc})") from None


def _witnesses(vkeys: list[str] | None) -> list[Verifier]:
    try:
        return [Verifier.parse(v) for v in vkeys or []]
    except NoteError as exc:
        raise typer.BadParameter(str(exc), param_hint="--witness") from None


def _number(value: str) -> str:
    try:
        return enterprise.enterprise_number(value)
    except enterprise.InvalidNumber as exc:
        raise typer.BadParameter(str(exc)) from None


class _UpdatedIndex:
    """The proof index, brought up to date with the log (a context manager: closed after use)."""

    def __init__(self, bootstrap: str, topics: Topics, trusted: list[Verifier], path: Path | None) -> None:
        self.bootstrap, self.topics, self.trusted = bootstrap, topics, trusted
        self.path = path or _default_index(bootstrap, topics)

    def __enter__(self) -> ProofIndex:
        self.index = ProofIndex(self.path, f"{self.bootstrap}|{self.topics.prefix}")
        starts = {p: log.next_offset for p, log in self.index.logs().items()}
        try:
            records, signed, horizon = read_log(self.bootstrap, self.topics, starts)
        except OffsetsAhead:  # the topics were created again: the index is of another log
            self.index.reset()
            records, signed, horizon = read_log(self.bootstrap, self.topics)
        with self.index.update(records, signed, self.trusted, horizon) as report:
            if not report.ok:
                console.print(f"[yellow]warning[/yellow]: the log has {len(report.findings)} problems "
                              "(`buurt-audit verify` lists them); proofs cover only what signed checkpoints cover",
                              soft_wrap=True)
        return self.index

    def __exit__(self, *exc: object) -> None:
        self.index.close()


def _default_index(bootstrap: str, topics: Topics) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    installation = hashlib.sha256(f"{bootstrap}|{topics.prefix}".encode()).hexdigest()[:16]
    return cache / "buurt-audit" / f"proofs-{installation}.sqlite"
