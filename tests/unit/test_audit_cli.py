"""The auditors' CLI on bad input: a message that says what is wrong and exit status 2, never a traceback or a silent
empty answer; an unreachable broker is exit 1 with the reason. (Runs the installed ``buurt-audit``; the bad input is
refused before any Kafka connection, and the unreachable broker is a closed port on loopback.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.consent import crypto
from services.consent.note import Verifier
from services.infra import process

CLOSED = f"127.0.0.1:{process.free_port()}"


def audit(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("buurt-audit")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_", "BUURT_AUDIT", "KAFKA_"))}
    offline = args[0] in ("public-key", "verify-receipt")
    return subprocess.run([str(binary), *args, *(() if offline else ("--bootstrap", CLOSED))],
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
    (("verify", "--key", "not-a-key"), {}, "a verifier key is written name+hexid+base64key"),
    (("verify",), {"BUURT_AUDIT_KEYS": "buurt+00000000+" + crypto.b64(b"x" * 33)}, "not an Ed25519 verifier key"),
    (("verify",), {}, "give the log's verifier key"),
    (("receipt", "0428.759.498"), {}, "invalid check digit"),
    (("receipt", "0428759497", "--at", "2026-11-01T12:00:00"), {}, "offset"),
    (("verify-receipt", "/nonexistent/receipt.json"), {}, "does not exist"),
    (("consistency", "/nonexistent/kept.note"), {}, "does not exist"),
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
    verifier = Verifier.parse(result.stdout.strip())  # a C2SP vkey
    assert verifier.name == "buurt.local/consent-audit"
    assert verifier.key.public_bytes_raw() == crypto.signing_key(signing).public_key().public_bytes_raw()


def test_a_file_that_is_no_receipt_or_no_checkpoint_is_named_as_such(tmp_path: Path) -> None:
    _, signing = crypto.generate_secrets()
    (tmp_path / "receipt.json").write_text('{"version": "something else"}')
    result = audit("verify-receipt", str(tmp_path / "receipt.json"), CONSENT_SIGNING_KEY=signing)
    assert result.returncode == 1
    assert "INVALID: not a consent receipt" in result.stderr
    (tmp_path / "kept.note").write_text("not a note\n")
    result = audit("consistency", str(tmp_path / "kept.note"), CONSENT_SIGNING_KEY=signing)
    assert result.returncode == 2
    assert "not a checkpoint of this log signed by a trusted key" in " ".join(result.stderr.split())
