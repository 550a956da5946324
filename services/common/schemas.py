"""JSON Schemas of the partner-facing contract, generated from the pydantic models (docs/schemas/*.json)."""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from services.common import events


def wire_models() -> dict[str, type[BaseModel]]:
    """Events on Kafka that partners produce (Kafka binding) or read about (decisions)."""
    return {"registration-submitted": events.RegistrationSubmitted, "consent-withdrawn": events.ConsentWithdrawn,
            "erasure-requested": events.ErasureRequested, "decision": events.Decision, "listing": events.Listing}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_all(models: dict[str, type[BaseModel]], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in sorted(models.items()):
        path = folder / f"{name}.json"
        path.write_text(json.dumps(schema_of(model), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
