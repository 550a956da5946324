"""The partner SDK's own logic (sdk/python): signatures the platform verifies, Retry-After honoured, the same
Idempotency-Key on every attempt, and spreadsheets cut into uploads that the platform reads exactly as the whole file.
The HTTP answers here are scripted (httpx's mock transport); tests/e2e/test_partner_sdk.py runs it against the real
processes."""

import codecs
import csv
import io
import random
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from buurt_partner import Client, ProblemError, Retry, RetryPolicy, Unavailable, sheets
from buurt_partner.retrying import retry_after_s
from buurt_partner.signing import signed_headers

from services.registration import auth, spreadsheet
from services.registration.errors import Unauthenticated
from tests.spreadsheet_samples import COLUMNS, ROWS, cells

ACCEPTED = {"id": "6a1f0000-0000-4000-8000-000000000001", "status": "received", "received_at": "2026-11-28T10:00:00Z"}


def test_the_platform_verifies_the_sdks_signatures() -> None:
    body = '{"naam": "Brouwerij Ève"}'.encode()
    headers = httpx.Headers(signed_headers("key", "geheim", "POST", "/v1/registrations", body))  # case-insensitive
    partner = SimpleNamespace(signing_secret=b"geheim")
    assert auth.verify_signature(partner, headers, "POST", "/v1/registrations", body, time.time())  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated):
        auth.verify_signature(partner, headers, "POST", "/v1/withdrawals", body, time.time())  # type: ignore[arg-type]


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), ("0", 0.0), (formatdate(1_000_030, usegmt=True), 30.0),
                                                 ("soon", None), ("", None)])
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str, seconds: float | None) -> None:
    response = httpx.Response(503, headers={"Retry-After": header} if header else {})
    assert retry_after_s(response, now=1_000_000) == seconds


def scripted(answers: list[httpx.Response], seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)
    return answer


def client(answers: list[httpx.Response], seen: list[httpx.Request], retries: list[Retry] | None = None,
           policy: RetryPolicy | None = None) -> Client:
    return Client("http://buurt.test", "key", "geheim", partner_id="ikkooplokaal", retry=policy,
                  on_retry=(retries.append if retries is not None else None),
                  transport=httpx.MockTransport(scripted(answers, seen)))


def problem(status: int, type_: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"type": type_, "title": "t", "status": status, "detail": "d"},
                          headers=headers)


def test_a_503_is_retried_after_its_retry_after_with_the_same_key_and_a_new_signature() -> None:
    seen: list[httpx.Request] = []
    retries: list[Retry] = []
    answers = [problem(503, "/problems/unavailable", {"Retry-After": "1"}),
               problem(429, "/problems/rate-limited", {"Retry-After": "2"}), httpx.Response(202, json=ACCEPTED)]
    with client(answers, seen, retries) as buurt:
        accepted = buurt.register({"enterprise_number": "0428759497"})
    assert accepted.id == ACCEPTED["id"]
    assert [(r.status, r.wait_s) for r in retries] == [(503, 1.0), (429, 2.0)]
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1
    assert len({r.headers["X-Buurt-Signature"] for r in seen}) == 3  # each attempt signed in its own second


def test_a_request_still_in_progress_is_retried_but_a_key_reused_for_another_body_is_not() -> None:
    seen: list[httpx.Request] = []
    answers = [problem(409, "/problems/request-in-progress", {"Retry-After": "1"}), httpx.Response(202, json=ACCEPTED)]
    with client(answers, seen) as buurt:
        assert buurt.withdraw("0428759497", "2026-11-26T09:00:00+01:00").status == "received"
    answers = [problem(409, "/problems/idempotency-conflict")]
    with client(answers, seen) as buurt, pytest.raises(ProblemError) as refused:
        buurt.withdraw("0428759497", "2026-11-26T09:00:00+01:00", idempotency_key="mine")
    assert refused.value.status == 409


def test_the_default_idempotency_key_is_the_requests_own_digest() -> None:
    seen: list[httpx.Request] = []
    answers = [httpx.Response(202, json=ACCEPTED) for _ in range(3)]
    with client(answers, seen) as buurt:
        buurt.register({"name": "A"})
        buurt.register({"name": "A"})
        buurt.register({"name": "B"})
    keys = [r.headers["Idempotency-Key"] for r in seen]
    assert keys[0] == keys[1] != keys[2]


def test_when_the_policy_runs_out_the_last_answer_is_raised_as_unavailable() -> None:
    seen: list[httpx.Request] = []
    answers = [problem(503, "/problems/unavailable", {"Retry-After": "1"}) for _ in range(2)]
    with client(answers, seen, policy=RetryPolicy(max_attempts=2)) as buurt, pytest.raises(Unavailable) as failed:
        buurt.register({"name": "A"})
    assert failed.value.status == 503
    assert len(seen) == 2


def test_a_validation_problem_is_raised_at_once_with_its_fields() -> None:
    seen: list[httpx.Request] = []
    body = {"type": "/problems/validation", "title": "Invalid field", "status": 422, "detail": "x",
            "errors": [{"pointer": "/consent/method", "detail": "not affirmative", "code": "consent_not_affirmative"}]}
    with client([httpx.Response(422, json=body)], seen) as buurt, pytest.raises(ProblemError) as refused:
        buurt.register({"name": "A"})
    assert [(e.pointer, e.code) for e in refused.value.errors] == [("/consent/method", "consent_not_affirmative")]
    assert len(seen) == 1


# Spreadsheets ------------------------------------------------------------------------------------------------------

def belgian_csv(rows: int, seed: int = 7) -> bytes:
    """What Excel writes on a Belgian Windows: semicolons, decimal commas, day-first dates, Windows-1252, CRLF; some
    cells quoted with a line break or a ";" inside, some with "…" (0x85 in Windows-1252), blank lines between."""
    chooser = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for index in range(rows):
        row = cells(ROWS[index % len(ROWS)])
        row[1] = chooser.choice(["Bakkerij Één", "Hoeve \"De Linde\"", "Slagerij\r\nDe Smet", "Kaas; wijn…", "Léon"])
        row[1] += f" {index}"
        writer.writerow(row)
        if chooser.random() < 0.05:
            out.write("\r\n")
    return out.getvalue().encode("cp1252")


def whole(body: bytes, charset: str | None = None) -> list[dict[str, str]]:
    """The platform's own reading of the file (the independent reference for the parts)."""
    return spreadsheet.read_csv(body, charset).rows


@pytest.mark.parametrize("rows", [0, 1, 999, 1000, 1001, 2500])
def test_a_csv_file_cut_into_parts_is_read_by_the_platform_row_for_row_as_the_whole(rows: int) -> None:
    data = belgian_csv(rows)
    parts = sheets.csv_parts(data, rows_per_part=1000)
    assert all(part.rows <= 1000 for part in parts)
    assert [part.first_index for part in parts] == list(range(0, max(rows, 1), 1000))
    read: list[dict[str, str]] = []
    for part in parts:
        read.extend(whole(part.body))
    assert read == whole(data)
    assert len(read) == rows


@pytest.mark.parametrize(("encode", "charset"), [(lambda text: codecs.BOM_UTF8 + text.encode(), None),
                                                 (lambda text: text.encode("utf-16"), None),
                                                 (lambda text: text.encode("utf-16-le"), "utf-16-le"),
                                                 (lambda text: text.encode("cp1252"), "windows-1252")])
def test_other_charsets_are_cut_the_same(encode: Callable[[str], bytes], charset: str | None) -> None:
    data = encode(belgian_csv(30).decode("cp1252"))
    parts = sheets.csv_parts(data, rows_per_part=7, charset=charset)
    assert len(parts) == 5
    read: list[dict[str, Any]] = []
    for part in parts:
        declared = part.content_type.partition("charset=")[2] or None
        read.extend(whole(part.body, declared))
    assert read == whole(data, charset)


def test_an_unknown_charset_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="unknown charset"):
        sheets.csv_parts(b"a;b\r\n1;2\r\n", charset="klingon")


def test_a_long_file_is_sent_in_parts_and_its_rows_are_numbered_over_the_file(tmp_path: Path) -> None:
    """The platform numbers each upload's rows from 2; the client numbers them over the whole file."""
    file = tmp_path / "leden.csv"
    file.write_bytes(belgian_csv(2500))
    seen: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        rows = whole(request.content)
        results = [{"index": i, "row": i + 2, "status": "accepted", "id": row["name"]} for i, row in enumerate(rows)]
        return httpx.Response(200, json={"accepted": len(rows), "rejected": 0, "unavailable": 0, "results": results,
                                         "charset": "windows-1252", "charset_detected": True})

    with Client("http://buurt.test", "key", "geheim", partner_id="ikkooplokaal",
                transport=httpx.MockTransport(platform)) as buurt:
        sent = buurt.upload_file(file)
    assert [request.url.path for request in seen] == ["/v1/partners/ikkooplokaal/uploads"] * 3
    assert len({request.headers["Idempotency-Key"] for request in seen}) == 3
    assert [item.row for item in sent.results] == list(range(2, 2502))
    assert [item.id for item in sent.results] == [row["name"] for row in whole(file.read_bytes())]
    assert sent.charset_detected
    assert sent.accepted == 2500
