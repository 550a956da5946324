"""How buurt authenticates a partner's request (the platform's docs/partners.md, "Credentials and signing").

Each attempt is signed with the current second: the platform accepts a write's signature once, so a retry signed in
the same second as the attempt before it would be refused as a replay (the retry policy waits at least a second).
"""

import hashlib
import hmac
import time


def signature(signing_secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 over ``<timestamp>.<METHOD>.<path>.<body>``."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return "v1=" + hmac.new(signing_secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(api_key: str, signing_secret: str, method: str, path: str, body: bytes,
                   timestamp: int | None = None) -> dict[str, str]:
    """The authentication headers of one attempt; ``path`` without its query string."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Authorization": f"Bearer {api_key}", "X-Buurt-Timestamp": stamp,
            "X-Buurt-Signature": signature(signing_secret, stamp, method, path, body)}
