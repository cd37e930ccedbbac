"""The stable JSON document of an assessment (schema_version 1)."""

from __future__ import annotations

import json

from nmt_assess.models import Assessment


def assessment_json(assessment: Assessment) -> str:
    document = assessment.model_dump(mode="json")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
