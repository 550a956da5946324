"""Audit replay: `buurt-audit verify`'s work (read + chain + checkpoints) versus a raw read of the same topic."""

import asyncio
import time
from pathlib import Path

from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.consent import cli_support, ledger
from services.consent.config import DEFAULT_LOG_NAME
from services.consent.crypto import signing_key
from services.consent.note import Signer
from services.infra import stack


def run(bootstrap: str, topics: Topics, secrets: Path) -> dict[str, float]:
    """``secrets``: where the consent scenario's worker kept its keys (its log's signing key among them)."""
    started = time.perf_counter()
    raw = asyncio.run(read_topic(bootstrap, topics.audit))
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    records, checkpoints, horizon = cli_support.read_log(bootstrap, topics)  # verify's own reading
    key = signing_key(stack.local_secrets(secrets)["CONSENT_SIGNING_KEY"])
    report = ledger.verify(records, checkpoints, [Signer(DEFAULT_LOG_NAME, key).verifier], horizon=horizon)
    verify_s = time.perf_counter() - started
    assert report.ok, report.findings
    verify_rate, raw_rate = len(records) / verify_s, len(raw) / raw_s
    return {"records": len(records), "verify_per_s": round(verify_rate), "raw_read_per_s": round(raw_rate),
            "verify_to_raw_ratio": round(verify_rate / raw_rate, 3)}
