"""The partner-facing JSON Schemas: served at ``GET /v1/schemas/{name}`` and published in docs/schemas/.

    python -m services.registration.schemas docs/schemas     (regenerate the published files; a test checks them)
"""

import sys
from pathlib import Path

from pydantic import BaseModel

from services.common.schemas import wire_models, write_all
from services.registration.models import ErasureIn, RegistrationIn, WithdrawalIn


def partner_schemas() -> dict[str, type[BaseModel]]:
    return {**wire_models(), "registration": RegistrationIn, "withdrawal": WithdrawalIn,
            "erasure-request": ErasureIn}


if __name__ == "__main__":
    for path in write_all(partner_schemas(), Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
