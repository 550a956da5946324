"""How a partner signs a request; used by the demo loader and the tests, and shown in docs/partners.md."""

import time

from services.registration.auth import sign


def signed_headers(api_key: str, signing_secret: str, method: str, path: str, body: bytes,
                   content_type: str = "application/json", timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": content_type,
        "X-Buurt-Timestamp": stamp,
        "X-Buurt-Signature": sign(signing_secret.encode(), stamp, method, path, body),
    }
