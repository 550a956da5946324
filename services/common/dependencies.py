"""FastAPI dependencies shared by the HTTP services."""

from typing import Any

from fastapi import Depends, Request


def from_app_state(name: str) -> Any:
    """``Depends`` on what the service's ``create_app`` put on ``app.state`` under ``name``; the ``Annotated`` alias
    that uses it declares the type (``StoreDep = Annotated[RequestStore, from_app_state("store")]``)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    return Depends(get)
