"""C2SP signed notes (``signed-note``) with Ed25519 keys, and transparency-log checkpoints (``tlog-checkpoint``) as
their text — the formats Go's checksum database and Sigstore's logs use, so that their witnesses and verifiers can
read buurt's audit checkpoints.

A note is UTF-8 text ending in a newline, then a blank line, then one line per signature:
``— <key name> <base64(4-byte key id || signature)>``. A key's id is the first four bytes of
SHA-256(name || "\\n" || type || public key); a verifier key is written ``<name>+<hex id>+<base64(type || key)>``. Type
0x01 is the log's own Ed25519 signature over the text; type 0x04 a witness's ``tlog-cosignature`` (cosignature/v1: an
Ed25519 signature, after an 8-byte time, over "cosignature/v1", the time and the text).
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519, COSIGNATURE = b"\x01", b"\x04"
DASH = "\u2014"  # an em dash begins each signature line


class NoteError(ValueError):
    """A note that is malformed, or not signed by a known key."""


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    key: Ed25519PublicKey
    kind: bytes = ED25519  # or COSIGNATURE: a witness's key

    @classmethod
    def parse(cls, vkey: str) -> "Verifier":
        """``name+hexid+base64key`` as C2SP writes verifier keys (a log's key, type 0x01, or a witness's, 0x04)."""
        try:
            name, hex_id, encoded = vkey.strip().split("+", 2)  # the base64 may hold "+" too
            raw = base64.b64decode(encoded, validate=True)
            key_id = bytes.fromhex(hex_id)
        except ValueError:
            raise NoteError("a verifier key is written name+hexid+base64key") from None
        if not _valid_name(name) or len(key_id) != 4 or len(raw) != 33 or raw[:1] not in (ED25519, COSIGNATURE):
            raise NoteError("not an Ed25519 verifier key")
        key = Ed25519PublicKey.from_public_bytes(raw[1:])
        if key_id != key_id_of(name, key, raw[:1]):
            raise NoteError("the verifier key's id does not match its name and key")
        return cls(name, key_id, key, raw[:1])

    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(self.kind + _raw(self.key)).decode()}"


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey
    kind: bytes = ED25519

    @property
    def verifier(self) -> Verifier:
        public = self.key.public_key()
        return Verifier(self.name, key_id_of(self.name, public, self.kind), public, self.kind)

    def sign(self, text: str) -> str:
        """The text as a note with this key's signature."""
        _check_text(text)
        return f"{text}\n{self.signature_line(text)}"

    def signature_line(self, text: str, timestamp: int | None = None) -> str:
        """This key's signature of the text; a witness's key (COSIGNATURE) cosigns it as of ``timestamp``."""
        if self.kind == COSIGNATURE:
            if timestamp is None:
                raise ValueError("a cosignature is made at a time")
            stamp = timestamp.to_bytes(8, "big")
            signature = self.verifier.key_id + stamp + self.key.sign(_cosigned(text, timestamp))
        else:
            signature = self.verifier.key_id + self.key.sign(text.encode())
        return f"{DASH} {self.name} {base64.b64encode(signature).decode()}\n"


def key_id_of(name: str, key: Ed25519PublicKey, kind: bytes = ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + kind + _raw(key)).digest()[:4]


def _cosigned(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the known log keys that signed it; raises NoteError when none of them did, when a known
    key's signature is wrong, or when the note is malformed. Signatures of unknown keys are ignored (cosigners)."""
    text, lines = _split(note)
    signed_by = []
    for name, blob in lines:
        for verifier in verifiers:
            if verifier.kind == ED25519 and verifier.name == name and verifier.key_id == blob[:4]:
                _verify(verifier, blob[4:], text.encode())
                signed_by.append(verifier)
    if not signed_by:
        raise NoteError("no known key signed this note")
    return text, signed_by


def cosignatures(note: str, witnesses: list[Verifier]) -> dict[str, int]:
    """The known witnesses that cosigned the note, each with the time of its cosignature (raises NoteError when a
    known witness's cosignature is wrong)."""
    text, lines = _split(note)
    found = {}
    for name, blob in lines:
        for witness in witnesses:
            if witness.kind == COSIGNATURE and witness.name == name and witness.key_id == blob[:4] and len(blob) > 12:
                timestamp = int.from_bytes(blob[4:12], "big")
                _verify(witness, blob[12:], _cosigned(text, timestamp))
                found[name] = timestamp
    return found


def _split(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteError("a note is its text, a blank line and its signature lines")
    text += "\n"
    _check_text(text)
    return text, [_signature(line) for line in signatures[:-1].split("\n")]


def _verify(verifier: Verifier, signature: bytes, message: bytes) -> None:
    try:
        verifier.key.verify(signature, message)
    except InvalidSignature:
        raise NoteError(f"the signature of {verifier.name} does not verify") from None


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint: the log's origin, its size and its root hash (and optional extension lines)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
        origin, size, root, *extensions = lines[:-1]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"the tree size {size!r} is not a decimal number")
        try:
            raw = base64.b64decode(root, validate=True)
        except ValueError:
            raise NoteError("the root hash is not base64") from None
        if len(raw) != 32:
            raise NoteError("the root hash is not 32 bytes")
        return cls(origin, int(size), raw, tuple(extensions))


def _signature(line: str) -> tuple[str, bytes]:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != DASH or not _valid_name(parts[1]):
        raise NoteError("a signature line is '— <name> <base64>'")
    try:
        blob = base64.b64decode(parts[2], validate=True)
    except ValueError:
        raise NoteError("a signature is base64") from None
    if len(blob) < 5:
        raise NoteError("a signature is a key id and the signature")
    return parts[1], blob


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or any(c < " " and c != "\n" for c in text):
        raise NoteError("a note's text is lines of printable text, each ending in a newline, none empty")


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
