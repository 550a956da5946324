"""FastAPI dependencies of the search API: settings, the searcher, the statistics, the ops credentials."""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from services.search.config import Settings
from services.search.service import Searcher
from services.search.stats import VisitorStats


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_searcher(request: Request) -> Searcher:
    searcher: Searcher = request.app.state.searcher
    return searcher


async def get_stats(request: Request) -> VisitorStats:
    stats: VisitorStats = request.app.state.stats
    return stats


SettingsDep = Annotated[Settings, Depends(get_settings)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
StatsDep = Annotated[VisitorStats, Depends(get_stats)]

ops_bearer = HTTPBearer(auto_error=False, description="the ops token")
ops_basic = HTTPBasic(auto_error=False, realm="buurt ops", description="any user name, the ops token as password")


class Unauthorized(Exception):
    """No or wrong ops credentials (the API answers 401 with a Basic challenge, so a browser asks)."""


async def require_ops(settings: SettingsDep,
                      bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(ops_bearer)],
                      basic: Annotated[HTTPBasicCredentials | None, Depends(ops_basic)]) -> None:
    """Ops statistics need the ops token (Bearer, or the password of HTTP Basic for the ops page)."""
    expected = settings.ops_token_sha256
    token = bearer.credentials if bearer else basic.password if basic else None
    if not expected or token is None or not hmac.compare_digest(
            hashlib.sha256(token.encode()).hexdigest(), expected.lower()):
        raise Unauthorized
