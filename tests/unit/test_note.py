"""C2SP signed notes and tlog checkpoints (services/consent/note.py) against the reference vectors of Go's
``golang.org/x/mod/sumdb/note`` (its PeterNeumann key and note), and checkpoints signed and opened in turn."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.consent.merkle import Tree, leaf_hash
from services.consent.note import Checkpoint, NoteError, Signer, Verifier, open_note

VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]  # PRIVATE+KEY+PeterNeumann+c74f20a3+
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
SIGNATURE = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
             "BwJnAM=\n")


def test_the_reference_note_opens_with_the_reference_key() -> None:
    verifier = Verifier.parse(VKEY)
    assert (verifier.name, verifier.key_id.hex(), verifier.vkey()) == ("PeterNeumann", "c74f20a3", VKEY)
    text, signed_by = open_note(f"{TEXT}\n{SIGNATURE}", [verifier])
    assert (text, signed_by) == (TEXT, [verifier])


def test_signing_with_the_reference_private_key_gives_the_reference_note() -> None:
    signer = Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(SKEY_SEED))
    assert signer.verifier.vkey() == VKEY
    assert signer.sign(TEXT) == f"{TEXT}\n{SIGNATURE}"  # Ed25519 is deterministic


@pytest.mark.parametrize("note", [
    f"{TEXT}\n{SIGNATURE}".replace("problem,", "problem;"),  # altered text
    f"{TEXT}\n{SIGNATURE}".replace("x08go", "x09go"),  # altered signature
    f"{TEXT}{SIGNATURE}",  # no blank line
    f"{TEXT}\n{SIGNATURE}".rstrip("\n"),  # no final newline
    f"{TEXT}\n\u2014 SomeoneElse x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
    "BwJnAM=\n",  # signed only by an unknown key
])
def test_an_altered_or_malformed_note_is_refused(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [Verifier.parse(VKEY)])


def test_a_mangled_verifier_key_is_refused() -> None:
    for mangled in (VKEY.replace("c74f20a3", "c74f20a4"), VKEY[:-1], VKEY.replace("+", "-", 1), "PeterNeumann"):
        with pytest.raises(NoteError):
            Verifier.parse(mangled)


def test_a_checkpoint_of_a_tree_round_trips_as_a_signed_note_and_a_cosignature_is_tolerated() -> None:
    tree = Tree(leaf_hash(bytes([n])) for n in range(10))
    checkpoint = Checkpoint("buurt.example/consent-audit/3", tree.size, tree.root())
    log, witness = Signer("buurt-audit", Ed25519PrivateKey.generate()), Signer("witness", Ed25519PrivateKey.generate())
    note = log.sign(checkpoint.text()) + witness.signature_line(checkpoint.text())
    text, signed_by = open_note(note, [log.verifier])
    assert Checkpoint.parse(text) == checkpoint
    assert signed_by == [log.verifier]
    assert open_note(note, [log.verifier, witness.verifier])[1] == [log.verifier, witness.verifier]
    with pytest.raises(NoteError, match="no known key"):
        open_note(note, [Signer("buurt-audit", Ed25519PrivateKey.generate()).verifier])


@pytest.mark.parametrize("text", ["origin\n10\n", "origin\n010\nAAAA\n", "origin\nten\n" + "A" * 43 + "=\n",
                                  "origin\n10\nAAAA\n", "\n10\n" + "A" * 43 + "=\n"])
def test_a_malformed_checkpoint_is_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)
