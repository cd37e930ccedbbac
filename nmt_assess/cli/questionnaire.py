"""Export the finding catalog as a form definition (FHIR R4 Questionnaire)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from nmt_assess.cli.options import RulesOption


class QuestionnaireFormat(str, Enum):
    fhir = "fhir"


def questionnaire(
    output_format: Annotated[
        QuestionnaireFormat, typer.Option("--format", "-f", help="fhir: a FHIR R4 Questionnaire.")
    ] = QuestionnaireFormat.fhir,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (atomically) instead of stdout."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Export the catalog as a FHIR Questionnaire whose linkIds are the finding ids."""
    from nmt_assess.readers.fhir import fhir_resource
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.writers.questionnaire import questionnaire as build

    ruleset = load_ruleset(rules)
    resource = build(ruleset)
    fhir_resource("Questionnaire").model_validate(resource)
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    from nmt_assess.writers.files import atomic_text_file

    with atomic_text_file(output) as out:
        out.write(text)
