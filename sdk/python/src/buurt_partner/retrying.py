"""When an attempt is worth repeating, and how long to wait before it.

Retried: 429 and 503 (after the ``Retry-After`` the platform sends), 502 and 504 from a proxy in front of it, a 409
that says the same request is still in progress, and connection failures. Every write carries an Idempotency-Key, so
a repeated write returns the first result rather than creating a second event.
"""

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tenacity import RetryCallState

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
IN_PROGRESS = "/problems/request-in-progress"


@dataclass(frozen=True)
class RetryPolicy:
    max_elapsed_s: float = 120.0  # give up when the next wait would end later than this after the first attempt
    max_attempts: int = 30
    backoff_s: float = 1.0  # the first wait when the platform names none; doubled each time up to max_backoff_s
    max_backoff_s: float = 30.0


@dataclass(frozen=True)
class Retry:
    """What an ``on_retry`` callback is told before the client waits and tries again."""

    attempt: int  # the attempt that failed, from 1
    status: int | None  # its HTTP status, or None when the connection failed
    error: str | None  # the connection failure
    wait_s: float


def retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRIED_STATUSES:
        return True
    return response.status_code == 409 and _problem_type(response) == IN_PROGRESS


def _problem_type(response: httpx.Response) -> str:
    try:
        return str(response.json().get("type", ""))
    except ValueError:
        return ""


def retry_after_s(response: httpx.Response, now: float | None = None) -> float | None:
    """The ``Retry-After`` header as seconds: delay-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def waiter(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """Retry-After when the platform sends it, else exponential backoff; never under a second (a signature is per
    second) and never past the policy's time."""

    def wait(state: RetryCallState) -> float:
        named = None
        if state.outcome is not None and not state.outcome.failed:
            named = retry_after_s(state.outcome.result())
        backoff = min(policy.max_backoff_s, policy.backoff_s * 2 ** (state.attempt_number - 1))
        return max(1.0, named if named is not None else backoff)

    return wait
