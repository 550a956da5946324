"""FastAPI dependencies of the search API: settings, the searcher, the statistics, the ops credentials."""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from services.common.dependencies import from_app_state
from services.insights.reader import DemandReader
from services.search.config import Settings
from services.search.service import Searcher
from services.search.stats import VisitorStats

SettingsDep = Annotated[Settings, from_app_state("settings")]
SearcherDep = Annotated[Searcher, from_app_state("searcher")]
StatsDep = Annotated[VisitorStats, from_app_state("stats")]
DemandDep = Annotated[DemandReader, from_app_state("demand")]

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
