"""Consent receipts for partners and the log's signed checkpoints for everyone, from a proof index this process keeps
up to date (services/consent/proofs.py: only what signed checkpoints cover, verified with the keys in
REGISTRATION_AUDIT_KEYS).

- ``GET /v1/receipts/{enterprise_number}`` (partner, signed request): the receipt of the partner's own records about
  one business, with their inclusion proofs; verifiable offline with ``buurt-audit verify-receipt``.
- ``GET /v1/audit/checkpoints`` and ``/v1/audit/checkpoints/{partition}`` (public, read-only): the latest verified
  checkpoint of each partition as a C2SP note, for auditors and for witnesses that cosign them.
"""

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from services.common.supervisor import Supervisor, TaskHandle
from services.common.topic_reader import OffsetsAhead, read_at
from services.consent import checkpoints, log_reader, receipts
from services.consent.note import Verifier
from services.consent.proofs import ProofIndex
from services.kbo.store import claim_file
from services.registration import validation
from services.registration.api import problems
from services.registration.config import Settings
from services.registration.deps import PartnerDep
from services.registration.errors import NotFound, RegistrationError

logger = logging.getLogger(__name__)
TASK = "audit-proofs"
router = APIRouter(prefix="/v1")


class ProofsUnavailable(RegistrationError):
    """No proof index yet (still being built after a start, or no trusted key configured)."""

    status = 503
    title = "Proofs unavailable"
    type_ = "/problems/unavailable"


class AuditProofs:
    """This process's proof index (a file of its own under REGISTRATION_PROOFS_DIR) and the task that follows the log
    into it every REGISTRATION_PROOFS_INTERVAL_S."""

    def __init__(self, settings: Settings) -> None:
        self.bootstrap, self.topics = settings.kafka_bootstrap_servers, settings.topics
        self.trusted: list[Verifier] = checkpoints.verifiers(settings.audit_keys)
        self.interval_s = settings.proofs_interval_s
        self.installation = f"{settings.kafka_bootstrap_servers}|{settings.topic_prefix}"
        self.ready = False
        self._lock: IO[str] | None = None
        self.path = Path(settings.proofs_dir) / "unused.sqlite"
        if self.trusted:  # a file of this process's own, reused after a restart (only what is new is read then)
            self.path, self._lock = claim_file(Path(settings.proofs_dir), "proofs")

    async def run(self, handle: TaskHandle) -> None:
        while True:
            try:
                records, signed, horizon = await log_reader.read_log(self.bootstrap, self.topics, self._starts())
            except OffsetsAhead:  # the topics were created again: what the index holds is of another log
                logger.warning("the consent log was replaced; the proof index starts over")
                with ProofIndex(self.path, self.installation) as index:
                    index.reset()
                continue
            problems = await asyncio.to_thread(self._index, records, signed, horizon)
            if problems:
                logger.warning("the consent log has problems; run buurt-audit verify", extra={"problems": problems})
            self.ready = True
            handle.healthy()
            await asyncio.sleep(self.interval_s)  # pacing between reads of the log, not a synchronisation

    def _starts(self) -> dict[int, int]:
        with ProofIndex(self.path, self.installation) as index:
            return {p: log.next_offset for p, log in index.logs().items()}

    def _index(self, records: list[Any], signed: list[Any], horizon: dict[int, int]) -> int:
        with ProofIndex(self.path) as index, index.update(records, signed, self.trusted, horizon) as report:
            return len(report.findings)

    def checkpoints(self) -> dict[int, str]:
        self._require()
        with ProofIndex(self.path) as index:
            return {p: log.note for p, log in sorted(index.logs().items())}

    async def receipt(self, number: str, partner: str) -> receipts.Receipt:
        self._require()
        with ProofIndex(self.path) as index:
            planned = index.plan(number)
        if planned is None:
            raise NotFound("no audit record of this business is covered by a signed checkpoint yet")
        try:
            stored = await read_at(self.bootstrap, self.topics.audit,
                                   [(place.partition, place.offset) for place, _ in planned.places])
            proven = receipts.assemble(planned, stored, partner)
        except (KafkaError, OSError) as exc:
            raise ProofsUnavailable(f"the consent log cannot be read now ({type(exc).__name__})") from None
        except receipts.RecordGone:  # the index is ahead of a log that lost records: verify names what is wrong
            raise ProofsUnavailable("a record of this business is no longer in the consent log") from None
        if not proven:
            raise NotFound("this partner forwarded nothing about this business")
        now = datetime.now(UTC)
        sealed = receipts.SEALED if any(record.subject_pii for _, record in proven) else None
        return receipts.issue(proven, planned.log.note, now, now, sealed)

    def _require(self) -> None:
        if not self.trusted:
            raise ProofsUnavailable("receipts need the audit log's verifier key (REGISTRATION_AUDIT_KEYS)")
        if not self.ready:
            raise ProofsUnavailable("the proof index is still being built from the consent log")


def install(settings: Settings, supervisor: Supervisor) -> AuditProofs:
    proofs = AuditProofs(settings)
    if proofs.trusted:
        supervisor.add(TASK, proofs.run, gates_readiness=False)  # intake does not wait for receipts
    return proofs


def _proofs(request: Request) -> AuditProofs:
    proofs: AuditProofs = request.app.state.proofs
    return proofs


@router.get("/receipts/{enterprise_number}", responses=problems(401, 404, 422, 503))
async def receipt(enterprise_number: str, partner: PartnerDep, request: Request) -> JSONResponse:
    """The consent receipt of the partner's own records about one business (any spelling of its number): what was
    consented to, how and when, what buurt decided, with each record's inclusion proof to a signed checkpoint."""
    number = validation.enterprise_number(enterprise_number)
    issued = await _proofs(request).receipt(number, partner.id)
    return JSONResponse(issued.model_dump(mode="json"))


@router.get("/audit/checkpoints", responses=problems(503))
async def latest_checkpoints(request: Request) -> dict[str, Any]:
    """The latest signed checkpoint of every partition of the consent log (C2SP tlog-checkpoint notes)."""
    notes = _proofs(request).checkpoints()
    return {"checkpoints": [{"partition": p, "note": note} for p, note in notes.items()]}


@router.get("/audit/checkpoints/{partition}", response_class=PlainTextResponse, responses=problems(404, 503))
async def latest_checkpoint(partition: int, request: Request) -> PlainTextResponse:
    """One partition's latest signed checkpoint, as the note itself (text/plain), for witnesses to cosign."""
    note = _proofs(request).checkpoints().get(partition)
    if note is None:
        raise NotFound(f"partition {partition} of the consent log has no signed checkpoint")
    return PlainTextResponse(note)

