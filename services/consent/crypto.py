"""Per-subject encryption of personal data in the audit log, and the signing of checkpoints.

Each business's consenting person gets a random AES-256 data key; the person's data is sealed with AES-GCM under it
(associated data: the enterprise number, so a ciphertext cannot be moved to another subject). Data keys are stored
only wrapped (RFC 3394 AES key wrap) by the master key from configuration. Erasure deletes the wrapped key: the
ciphertext in the audit log, and the hashes computed over it, stay, but nobody can read it any more.
"""

import base64
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat


class CryptoError(ValueError):
    """A key or ciphertext that does not open: wrong master key, tampered data."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(master_key: bytes, data_key: bytes) -> str:
    return b64(aes_key_wrap(master_key, data_key))


def unwrap(master_key: bytes, wrapped: str) -> bytes:
    try:
        return aes_key_unwrap(master_key, unb64(wrapped))
    except (InvalidUnwrap, ValueError):
        raise CryptoError("the data key does not unwrap with this master key") from None


def seal(data_key: bytes, subject: str, plaintext: bytes) -> str:
    nonce = os.urandom(12)
    return b64(nonce + AESGCM(data_key).encrypt(nonce, plaintext, subject.encode()))


def open_sealed(data_key: bytes, subject: str, sealed: str) -> bytes:
    raw = unb64(sealed)
    try:
        return AESGCM(data_key).decrypt(raw[:12], raw[12:], subject.encode())
    except InvalidTag:
        raise CryptoError("ciphertext does not open: wrong key or altered data") from None


def signing_key(encoded: str) -> Ed25519PrivateKey:
    """The checkpoint signing key from configuration: 32 raw bytes, base64."""
    return Ed25519PrivateKey.from_private_bytes(unb64(encoded))


def verify_signature(public_key: str, signature: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_key)).verify(unb64(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_secrets() -> tuple[str, str]:
    """(master key, signing key), base64, for `make run` and the tests; production supplies its own."""
    signing = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return b64(AESGCM.generate_key(bit_length=256)), b64(signing)
