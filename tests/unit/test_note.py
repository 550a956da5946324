"""C2SP signed notes and tlog checkpoints (services/consent/note.py) against the reference vectors of Go's
``golang.org/x/mod/sumdb/note`` (its PeterNeumann key and note), and checkpoints signed and opened in turn."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.consent.merkle import Tree, leaf_hash
from services.consent.note import COSIGNATURE, Checkpoint, NoteError, Signer, Verifier, cosignatures, open_note

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


def test_a_witness_cosignature_is_the_c2sp_cosignature_v1_and_verifies_with_its_vkey() -> None:
    """The signed message and key id built by hand from tlog-cosignature's text, checked with the raw key."""
    log = Signer("buurt.test/consent-audit", Ed25519PrivateKey.generate())
    witness_key = Ed25519PrivateKey.generate()
    witness = Signer("witness.example/w1", witness_key, COSIGNATURE)
    text = Checkpoint("buurt.test/consent-audit/3", 5, bytes(32)).text()
    cosigned = log.sign(text) + witness.signature_line(text, 1679315147)
    blob = base64.b64decode(cosigned.rstrip("\n").rsplit(" ", 1)[1])
    public = witness_key.public_key().public_bytes_raw()
    assert blob[:4] == hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    assert int.from_bytes(blob[4:12], "big") == 1679315147
    witness_key.public_key().verify(blob[12:], b"cosignature/v1\ntime 1679315147\n" + text.encode())

    vkey = Verifier.parse(witness.verifier.vkey())
    assert cosignatures(cosigned, [vkey]) == {"witness.example/w1": 1679315147}
    assert open_note(cosigned, [log.verifier])[0] == text  # the log's own signature still opens it
    with pytest.raises(NoteError, match="does not verify"):
        cosignatures(cosigned.replace("\n5\n", "\n6\n"), [vkey])
    assert cosignatures(log.sign(text), [vkey]) == {}


def test_a_vkey_whose_base64_holds_a_plus_sign_parses() -> None:
    signers = (Signer("buurt.test", Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)) for seed in range(256))
    vkey = next(s.verifier.vkey() for s in signers if "+" in s.verifier.vkey().split("+", 2)[2])
    assert Verifier.parse(vkey).vkey() == vkey
