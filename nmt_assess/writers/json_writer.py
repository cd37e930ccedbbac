"""The stable JSON document of one assessment (schema_version 1)."""

from __future__ import annotations

import json
from typing import Any


def assessment_json(document: dict[str, Any]) -> str:
    """`document` is Engine.assess's output, or an Assessment dumped with mode="json"."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
