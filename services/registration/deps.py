"""FastAPI dependencies of the registration API: the authenticated partner, the publisher, the request store."""

import hashlib
import hmac
import math
import time
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.dependencies import from_app_state
from services.common.topics import Topics
from services.registration import auth
from services.registration.config import Settings
from services.registration.errors import RateLimited, Unauthenticated
from services.registration.partners import Partner, PartnerRegistry
from services.registration.publisher import Publisher
from services.registration.store import RequestStore

SAFE_METHODS = frozenset({"GET", "HEAD"})
SettingsDep = Annotated[Settings, from_app_state("settings")]
StoreDep = Annotated[RequestStore, from_app_state("store")]
PublisherDep = Annotated[Publisher, from_app_state("publisher")]
TopicsDep = Annotated[Topics, from_app_state("topics")]

bearer = HTTPBearer(auto_error=False, description="the partner's API key (or, for erasure, the DPO's admin token)")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
TimestampHeader = Annotated[str | None, Header(alias="X-Buurt-Timestamp", description="unix seconds")]
SignatureHeader = Annotated[str | None, Header(alias="X-Buurt-Signature", description="v1=<hex HMAC-SHA256>")]


async def authenticated_partner(
    request: Request, store: StoreDep, settings: SettingsDep, credentials: BearerDep,
    x_buurt_timestamp: TimestampHeader = None, x_buurt_signature: SignatureHeader = None,
) -> Partner:
    """API key, then signature, then replay check, then the partner's rate limit."""
    registry: PartnerRegistry = request.app.state.partners.current()
    partner = auth.partner_of(registry, credentials)
    body = await request.body()
    signature = auth.verify_signature(partner, request.headers, request.method, request.url.path, body, time.time())
    # A replayed write is refused; a read may repeat (a partner polling a status twice in one second signs the
    # same bytes twice), and replaying it only shows its sender what it saw already.
    if request.method not in SAFE_METHODS and not await store.first_use(f"{partner.id}:{signature}",
                                                                        ttl_s=2 * auth.WINDOW_S + 60):
        raise Unauthenticated("this signature was already used: a replayed request is refused")
    wait_s = await store.admit(partner.id, settings.rate_limit_per_minute)
    if wait_s is not None:
        raise RateLimited(f"more than {settings.rate_limit_per_minute} requests in the last minute",
                          retry_after_s=math.ceil(wait_s))
    return partner


PartnerDep = Annotated[Partner, Depends(authenticated_partner)]


def admin_token_matches(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> bool:
    """Erasure can also be requested by the platform's DPO with the admin token (no partner signature)."""
    if not settings.admin_token_sha256 or credentials is None:
        return False
    digest = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    return hmac.compare_digest(digest, settings.admin_token_sha256.lower())
