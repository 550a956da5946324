import json
from pathlib import Path

from services.common.schemas import schema_of
from services.registration.schemas import partner_schemas

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_published_json_schemas_match_the_models() -> None:
    """Regenerate with: python -m services.registration.schemas docs/schemas"""
    for name, model in partner_schemas().items():
        published = json.loads((DOCS / f"{name}.json").read_text())
        assert published == schema_of(model), name
