"""Exactly once through a crash: SIGKILL the consent worker mid-stream, restart it, count decisions and records."""

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

from services.common import codec, events
from services.common.topics import Topics
from services.infra import stack
from tests.kafka_tools import produce, read_all
from tests.platform import running_platform
from tests.samples import wire_registration

EVENTS = 3000


def count_decisions(bootstrap: str, topics: Topics) -> int:
    return len(asyncio.run(read_all(bootstrap, topics.decisions, timeout=5)))


def test_sigkill_mid_stream_leaves_exactly_one_decision_and_audit_record_per_event(
        kafka_bootstrap: str, redis_url: str, topics: Topics, tmp_path: Path) -> None:
    stream = [wire_registration() for _ in range(EVENTS)]
    with running_platform(kafka_bootstrap, redis_url, topics, tmp_path, names=("buurt-consent",),
                          extra_env={"CONSENT_CHECKPOINT_EVERY": "50"}) as platform:
        asyncio.run(produce(kafka_bootstrap, topics.submitted,
                            [(codec.key(e.business.enterprise_number), codec.encode(e)) for e in stream]))
        deadline = time.monotonic() + 120
        while count_decisions(kafka_bootstrap, topics) < EVENTS // 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        done_before = count_decisions(kafka_bootstrap, topics)
        assert done_before < EVENTS, "the worker finished before it could be killed; raise EVENTS"
        os.kill(platform.pids["buurt-consent"], signal.SIGKILL)
        restarted = stack.start_services(platform.env, tmp_path / "restart", ("buurt-consent",))
        try:
            decisions = asyncio.run(read_all(kafka_bootstrap, topics.decisions, expect=EVENTS, timeout=240))
            audit = asyncio.run(read_all(kafka_bootstrap, topics.audit, expect=EVENTS, timeout=60))
            verified = platform.audit("verify")
        finally:
            stack.stop_services(restarted)

    per_event = Counter(str(codec.decode(events.Decision, r.value).source_event_id) for r in decisions)
    assert set(per_event) == {str(e.event_id) for e in stream}
    doubled = sum(1 for n in per_event.values() if n > 1)
    assert doubled == 0, f"{doubled} of {EVENTS} events decided twice"
    recorded = Counter(str(codec.decode(events.AuditRecord, r.value).source_event_id) for r in audit)
    assert set(recorded.values()) == {1}
    assert len(recorded) == EVENTS
    assert verified.returncode == 0, verified.stderr
