"""The partner API as a typed client: every request signed, every write with an Idempotency-Key, retried as the
platform asks (``retrying``).

    with Client("https://registratie.example.be", api_key, signing_secret, partner_id="ikkooplokaal") as buurt:
        accepted = buurt.register(registration)
        print(buurt.wait_for_decision(accepted.id).status)

Idempotency keys: by default a digest of the request itself, so sending the same request again (a retry, a rerun of
a script that stopped halfway) returns the first result for 24 hours instead of creating a second event. Pass your own
key (your form submission's id) to tie a request to your records.
"""

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_before_delay,
)

from buurt_partner import sheets
from buurt_partner.errors import ConnectionFailed, ProblemError, Unavailable
from buurt_partner.results import Accepted, BulkResult, ItemResult, Submission, item_result
from buurt_partner.retrying import RETRIED_STATUSES, Retry, RetryPolicy, retryable, waiter
from buurt_partner.signing import signed_headers

MAX_BATCH = 1000  # items per batch request (the platform's bound)
USER_AGENT = "buurt-partner/0.1.0"


class Client:
    def __init__(self, url: str, api_key: str, signing_secret: str, *, partner_id: str | None = None,
                 timeout_s: float = 30.0, retry: RetryPolicy | None = None,
                 on_retry: Callable[[Retry], None] | None = None, transport: httpx.BaseTransport | None = None,
                 ) -> None:
        self.partner_id = partner_id
        self._api_key, self._secret = api_key, signing_secret
        self._policy = retry or RetryPolicy()
        self._on_retry = on_retry
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s, transport=transport,
                                  headers={"User-Agent": USER_AGENT})

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # writes ---------------------------------------------------------------------------------------------------

    def register(self, registration: Mapping[str, Any], *, idempotency_key: str | None = None) -> Accepted:
        """One registration (the canonical schema, or the partner's own format where it has an adapter)."""
        return self._accepted("/v1/registrations", registration, idempotency_key)

    def withdraw(self, enterprise_number: str, withdrawn_at: datetime | str | None = None, *,
                 idempotency_key: str | None = None) -> Accepted:
        """The business withdrew its consent (at ``withdrawn_at``, default now)."""
        body = {"enterprise_number": enterprise_number, "withdrawn_at": _moment(withdrawn_at)}
        return self._accepted("/v1/withdrawals", body, idempotency_key)

    def request_erasure(self, enterprise_number: str, requested_at: datetime | str | None = None, *,
                        idempotency_key: str | None = None) -> Accepted:
        """The business asked to be erased (GDPR art. 17)."""
        body = {"enterprise_number": enterprise_number, "requested_at": _moment(requested_at)}
        return self._accepted("/v1/erasure-requests", body, idempotency_key)

    def register_batch(self, registrations: Sequence[Mapping[str, Any]], *, idempotency_key: str | None = None,
                       ) -> BulkResult:
        """Any number of registrations, sent 1,000 per request; a result per item, in order."""
        results: list[ItemResult] = []
        for start in range(0, len(registrations), MAX_BATCH):
            raw = _json({"registrations": list(registrations[start:start + MAX_BATCH])})
            key = f"{idempotency_key}:{start}" if idempotency_key else None
            results.extend(self._bulk("/v1/registrations:batch", raw, "application/json", key, start).results)
        return BulkResult(tuple(results))

    def upload(self, body: bytes, content_type: str = sheets.CSV_MEDIA, *, first_index: int = 0,
               idempotency_key: str | None = None) -> BulkResult:
        """One spreadsheet upload of at most 1,000 rows, as the file's bytes (``text/csv``, with ``; charset=`` if
        you know it, or the .xlsx media type); ``first_index``: where its rows start in the whole file."""
        return self._bulk(f"/v1/partners/{self._partner()}/uploads", body, content_type, idempotency_key, first_index)

    def upload_file(self, path: Path | str, *, charset: str | None = None, rows_per_part: int = sheets.MAX_ROWS,
                    ) -> BulkResult:
        """A spreadsheet file of any length, in parts (``sheets``); every row's result, numbered over the file."""
        sent = [self.upload(part.body, part.content_type, first_index=part.first_index)
                for part in sheets.parts(Path(path), rows_per_part, charset)]
        described = next((result for result in sent if result.charset_detected), sent[0] if sent else None)
        return BulkResult(tuple(item for result in sent for item in result.results),
                          described.charset if described else None, bool(described and described.charset_detected))

    # reads ----------------------------------------------------------------------------------------------------

    def submission(self, submission_id: str) -> Submission:
        """Status, reason codes and their sentences of one of your submissions."""
        return Submission.of(self._json_of(self._call("GET", f"/v1/registrations/{submission_id}")))

    def wait_for_decision(self, submission_id: str, timeout_s: float = 60.0) -> Submission:
        """Poll a submission until the consent worker has decided it (or ``timeout_s`` passed: then still
        ``received``)."""
        deadline, pause = time.monotonic() + timeout_s, 0.2
        while True:
            current = self.submission(submission_id)
            if current.decided or time.monotonic() + pause > deadline:
                return current
            time.sleep(pause)
            pause = min(pause * 1.5, 2.0)

    def receipt(self, enterprise_number: str, wait_s: float = 0.0) -> dict[str, Any]:
        """The consent receipt of your records about a business, with their proofs; save it as JSON for
        ``buurt-audit verify-receipt``. ``wait_s``: how long a 404 may mean "not yet under a checkpoint" (seconds
        after a submission)."""
        deadline = time.monotonic() + wait_s
        while True:
            response = self._call("GET", f"/v1/receipts/{enterprise_number}")
            if response.status_code != 404 or time.monotonic() + 1 > deadline:
                return self._json_of(response)
            time.sleep(1)

    # the requests ---------------------------------------------------------------------------------------------

    def _partner(self) -> str:
        if not self.partner_id:
            raise ValueError("uploads name the partner: Client(..., partner_id='your partner id')")
        return self.partner_id

    def _accepted(self, path: str, body: Mapping[str, Any], key: str | None) -> Accepted:
        raw = _json(body)
        data = self._json_of(self._call("POST", path, raw, "application/json", key or _digest(path, raw)))
        return Accepted(str(data["id"]), str(data["status"]), str(data.get("received_at", "")))

    def _bulk(self, path: str, raw: bytes, content_type: str, key: str | None, offset: int) -> BulkResult:
        response = self._call("POST", path, raw, content_type, key or _digest(path, raw))
        data = self._json_of(response)
        return BulkResult(tuple(item_result(item, offset) for item in data["results"]), data.get("charset"),
                          bool(data.get("charset_detected")))

    def _call(self, method: str, path: str, body: bytes = b"", content_type: str | None = None,
              idempotency_key: str | None = None) -> httpx.Response:
        """The request, retried by the policy; a transport failure that outlasts it is ConnectionFailed."""
        try:
            return self._send(method, path, body, content_type, idempotency_key)
        except httpx.TransportError as error:
            raise ConnectionFailed(f"{method} {path}: {error.__class__.__name__}: {error}") from error

    def _send(self, method: str, path: str, body: bytes = b"", content_type: str | None = None,
              idempotency_key: str | None = None) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self._policy.max_attempts) | stop_before_delay(self._policy.max_elapsed_s),
            wait=waiter(self._policy), retry=retry_if_exception_type(httpx.TransportError) | retry_if_result(retryable),
            before_sleep=self._report, retry_error_callback=_last_outcome, reraise=True)
        response: httpx.Response = retrying(self._attempt, method, path, body, content_type, idempotency_key)
        return response

    def _attempt(self, method: str, path: str, body: bytes, content_type: str | None,
                 idempotency_key: str | None) -> httpx.Response:
        headers = signed_headers(self._api_key, self._secret, method, path, body)
        if content_type:
            headers["Content-Type"] = content_type
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self._http.request(method, path, content=body, headers=headers)

    def _report(self, state: RetryCallState) -> None:
        if self._on_retry is None or state.outcome is None or state.next_action is None:
            return
        failed = state.outcome.failed
        self._on_retry(Retry(state.attempt_number, None if failed else state.outcome.result().status_code,
                             repr(state.outcome.exception()) if failed else None, state.next_action.sleep))

    @staticmethod
    def _json_of(response: httpx.Response) -> dict[str, Any]:
        body = _body(response)
        if response.status_code < 300:
            return body or {}
        error = Unavailable if response.status_code in RETRIED_STATUSES else ProblemError
        raise error(response.status_code, body, response.text)


def _last_outcome(state: RetryCallState) -> Any:
    """When retrying stops, the last answer (a 503 to raise as Unavailable) or the last connection failure."""
    assert state.outcome is not None
    return state.outcome.result()


def _body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _digest(path: str, raw: bytes) -> str:
    return "sha256-" + hashlib.sha256(path.encode() + b"\n" + raw).hexdigest()


def _moment(value: datetime | str | None) -> str:
    if value is None:
        return datetime.now().astimezone().isoformat(timespec="seconds")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("give the moment with its UTC offset (an aware datetime)")
        return value.isoformat()
    return value
