"""The short fault run of `make test` (the long one: `make chaos`): each service, the broker and Redis killed and
restarted under load; nothing accepted is lost or doubled, the index and the statuses agree, the chain verifies."""

from pathlib import Path

from tests.chaos import faults
from tests.chaos.platform import ChaosPlatform


def test_the_platform_survives_every_crash_and_outage_without_losing_or_doubling_anything(tmp_path: Path) -> None:
    platform = ChaosPlatform(tmp_path).start()
    try:
        outcome = faults.run(platform, rounds=1, rate_per_s=4)
    finally:
        platform.stop()
    assert outcome.ok, "\n".join(outcome.findings)
    assert outcome.accepted > 100
    assert len(outcome.faults) == 5
