"""Dead letters: an input record that could not be taken, kept with the reason (``events.DeadLetter``), for the
platform's DLQ and for each partner's own ingress DLQ."""

import base64
from collections.abc import Sequence
from datetime import datetime

from services.common.events import DeadLetter

# Kept whole, a record near the broker's 1 MB limit would grow past it in base64 and its dead letter could never be
# written: the partition would be stuck.
MAX_ORIGINAL = 64 * 1024  # bytes of the dead record kept in its dead letter
MAX_HEADER = 1024


def dead_letter(topic: str, partition: int, offset: int, value: bytes | None,
                headers: Sequence[tuple[str, bytes]], reason: str, now: datetime) -> DeadLetter:
    value = value or b""
    if len(value) > MAX_ORIGINAL:
        reason += f" (original cut to its first {MAX_ORIGINAL} of {len(value)} bytes)"
    return DeadLetter(
        source_topic=topic, source_partition=partition, source_offset=offset, reason=reason,
        original=base64.b64encode(value[:MAX_ORIGINAL]).decode(),
        headers={name: raw.decode(errors="replace")[:MAX_HEADER] for name, raw in headers[:20]},
        failed_at=now)
