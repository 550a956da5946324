"""The consenting person sealed at intake to the consent worker's intake key, so that no topic ever holds them in
clear: hybrid encryption with ``cryptography`` — an ephemeral X25519 key agreed with the recipient's, HKDF-SHA256
over both public keys, AES-256-GCM bound to the enterprise number and the key id. The consent worker opens it and
seals it again under the subject's own key (services/consent/crypto.py), which erasure destroys.

Rotation: the worker holds its current and former private keys (``CONSENT_INTAKE_KEYS``, newest first) and opens
whatever a key id names; the intake seals to the one public key it is given (``REGISTRATION_INTAKE_PUBLIC_KEY``).
"""

import base64
import hashlib
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from services.common.events import SealedPerson

INFO = b"buurt intake seal v1"


class SealError(ValueError):
    """A sealed person that cannot be opened: an unknown key id, a wrong key, altered data. Safe to log."""


def key_id(public: X25519PublicKey) -> str:
    return hashlib.sha256(_raw(public)).hexdigest()[:8]


def seal(public: X25519PublicKey, subject: str, plaintext: bytes) -> SealedPerson:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    kid = key_id(public)
    key = _derive(ephemeral.exchange(public), ephemeral_public, _raw(public))
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _associated(subject, kid))
    return SealedPerson(key_id=kid, ephemeral=_b64(ephemeral_public), ciphertext=_b64(nonce + ciphertext))


def open_sealed(keys: Mapping[str, X25519PrivateKey], subject: str, sealed: SealedPerson) -> bytes:
    private = keys.get(sealed.key_id)
    if private is None:
        raise SealError(f"sealed to intake key {sealed.key_id}, which this worker does not hold")
    try:
        ephemeral, raw = _unb64(sealed.ephemeral), _unb64(sealed.ciphertext)
        key = _derive(private.exchange(X25519PublicKey.from_public_bytes(ephemeral)), ephemeral,
                      _raw(private.public_key()))
        return AESGCM(key).decrypt(raw[:12], raw[12:], _associated(subject, sealed.key_id))
    except (InvalidTag, ValueError):
        raise SealError(f"the person sealed to intake key {sealed.key_id} does not open: altered data") from None


def public_key(encoded: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_unb64(encoded))


def private_keys(encoded: str) -> dict[str, X25519PrivateKey]:
    """``key,key,...`` (base64 raw X25519 private keys, newest first) by key id."""
    keys = [X25519PrivateKey.from_private_bytes(_unb64(part.strip())) for part in encoded.split(",") if part.strip()]
    return {key_id(key.public_key()): key for key in keys}


def generate() -> tuple[str, str]:
    """A new intake key pair (private, public), base64."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _b64(raw), _b64(_raw(private.public_key()))


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=INFO).derive(shared)


def _associated(subject: str, kid: str) -> bytes:
    return f"{subject}|{kid}".encode()


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)
