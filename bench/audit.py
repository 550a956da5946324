"""Audit replay: `buurt-audit verify`'s work (read + chain + checkpoints) versus a raw read of the same topic."""

import asyncio
import time

from services.common.topic_reader import read_topic
from services.common.topics import Topics
from services.consent import cli_support, ledger


def run(bootstrap: str, topics: Topics) -> dict[str, float]:
    started = time.perf_counter()
    raw = asyncio.run(read_topic(bootstrap, topics.audit))
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    records, checkpoints, horizon = cli_support.read_log(bootstrap, topics)  # verify's own reading
    trusted = cli_support.own_signer_key()
    assert trusted is not None, "the bench runs the consent worker with CONSENT_SIGNING_KEY in its environment"
    report = ledger.verify(records, checkpoints, [trusted], horizon=horizon)
    verify_s = time.perf_counter() - started
    assert report.ok, report.findings
    verify_rate, raw_rate = len(records) / verify_s, len(raw) / raw_s
    return {"records": len(records), "verify_per_s": round(verify_rate), "raw_read_per_s": round(raw_rate),
            "verify_to_raw_ratio": round(verify_rate / raw_rate, 3)}
