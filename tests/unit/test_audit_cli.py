"""The auditors' CLI on bad input: a message that says what is wrong and exit status 2, never a traceback or a silent
empty answer; an unreachable broker is exit 1 with the reason. (Runs the installed ``buurt-audit``; the bad input is
refused before any Kafka connection, and the unreachable broker is a closed port on loopback.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.consent import crypto
from services.infra import process

CLOSED = f"127.0.0.1:{process.free_port()}"


def audit(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("buurt-audit")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_", "BUURT_AUDIT", "KAFKA_"))}
    return subprocess.run([str(binary), *args, *(() if args[0] == "public-key" else ("--bootstrap", CLOSED))],
                          env={**clean, **env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize(("args", "env", "says"), [
    (("history", "notanumber"), {}, "not a Belgian enterprise number"),
    (("history", "0428.759.498"), {}, "invalid check digit"),
    (("history", ""), {}, "not a Belgian enterprise number"),
    (("state", "--at", "2026-11-01T12:00:00"), {}, "offset"),
    (("state", "--at", "yesterday"), {}, "does not match"),
    (("export", "--decrypt"), {}, "CONSENT_MASTER_KEY"),
    (("export", "--decrypt"), {"CONSENT_MASTER_KEY": "not-base64!"}, "not a base64 AES-256 key"),
    (("export", "--decrypt"), {"CONSENT_MASTER_KEY": crypto.b64(b"short")}, "not a base64 AES-256 key"),
    (("verify", "--public-key", "not-a-key"), {}, "not a base64 Ed25519 public key"),
    (("verify",), {"BUURT_AUDIT_PUBLIC_KEY": crypto.b64(b"x" * 31)}, "not a base64 Ed25519 public key"),
    (("public-key",), {}, "CONSENT_SIGNING_KEY"),
    (("public-key",), {"CONSENT_SIGNING_KEY": "abc"}, "not a base64 Ed25519 private key"),
])
def test_bad_input_is_a_message_and_exit_status_2(args: tuple[str, ...], env: dict[str, str], says: str) -> None:
    result = audit(*args, **env)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert says in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_the_master_key_message_says_where_make_run_keeps_it() -> None:
    assert ".data/secrets.env" in " ".join(audit("export", "--decrypt").stderr.split())


def test_an_unreachable_broker_is_exit_1_with_the_reason_and_no_traceback() -> None:
    result = audit("history", "BE 0428.759.497")
    assert result.returncode == 1
    assert f"cannot read the consent log from Kafka at {CLOSED}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_public_key_is_printed_for_a_valid_signing_key() -> None:
    _, signing = crypto.generate_secrets()
    result = audit("public-key", CONSENT_SIGNING_KEY=signing)
    assert result.returncode == 0
    assert crypto.is_public_key(result.stdout.strip())
    assert result.stdout.strip() == crypto.public_key_b64(crypto.signing_key(signing))
