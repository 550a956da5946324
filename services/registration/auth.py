"""Request authentication: a bearer API key names the partner; an HMAC-SHA256 signature proves the body.

    X-Buurt-Timestamp: <unix seconds>
    X-Buurt-Signature: v1=<hex HMAC-SHA256(signing secret, "<timestamp>.<METHOD>.<path>." + body)>

The timestamp must lie within ±5 minutes of the server clock; a signature is accepted once (replays are refused).
"""

import hashlib
import hmac
from collections.abc import Mapping

from fastapi.security import HTTPAuthorizationCredentials

from services.registration.errors import Unauthenticated
from services.registration.partners import Partner, PartnerRegistry

TIMESTAMP_HEADER = "x-buurt-timestamp"
SIGNATURE_HEADER = "x-buurt-signature"
WINDOW_S = 300


def sign(secret: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    payload = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return "v1=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()


def partner_of(registry: PartnerRegistry, credentials: HTTPAuthorizationCredentials | None) -> Partner:
    if credentials is None:
        raise Unauthenticated("missing 'Authorization: Bearer <api key>' header")
    return registry.by_api_key(credentials.credentials)


def verify_signature(partner: Partner, headers: Mapping[str, str], method: str, path: str, body: bytes,
                     now: float) -> str:
    """The verified signature (to be remembered against replay); raises Unauthenticated with the precise cause."""
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise Unauthenticated(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header (see docs/partners.md)")
    if not timestamp.isdigit():
        raise Unauthenticated(f"{TIMESTAMP_HEADER} must be unix seconds")
    if abs(now - int(timestamp)) > WINDOW_S:
        raise Unauthenticated(f"{TIMESTAMP_HEADER} is more than {WINDOW_S // 60} minutes off the server clock")
    expected = sign(partner.signing_secret, timestamp, method, path, body)
    if not hmac.compare_digest(expected, signature):
        raise Unauthenticated("signature does not match the request (method, path, timestamp and body)")
    return signature
